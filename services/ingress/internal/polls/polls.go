// Package polls keeps the answers of V2 synchronous turns that outlived
// their budget, for the client to fetch with GET …/poll/{pollId} (contract
// §4.3, §11.20, §11.21): in Redis when one is configured, else in a
// JetStream KV bucket, so any ingress replica can answer a poll.
package polls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// TTL is how long a poll id lives (contract §11.21: 15 minutes).
const TTL = 15 * time.Minute

// Record is one poll: whose it is, and the answer once there is one.
type Record struct {
	App      string `json:"app"`
	Bot      string `json:"bot"`
	Instance string `json:"instance"`
	Done     bool   `json:"done,omitempty"`
	Status   int    `json:"status,omitempty"`
	Body     []byte `json:"body,omitempty"`
}

// Redis keeps records under <prefix>poll:<id>.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis returns a store on rdb.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// Put records a poll in progress.
func (r *Redis) Put(ctx context.Context, id string, rec Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode poll: %w", err)
	}
	if err := r.rdb.Set(ctx, r.prefix+"poll:"+id, data, TTL).Err(); err != nil {
		return fmt.Errorf("store poll in redis: %w", err)
	}
	return nil
}

// takeScript returns the record and deletes it if it holds the answer: a
// poll id delivers once.
var takeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).done then redis.call('DEL', KEYS[1]) end
return v
`)

// Take returns the poll; an answered one is removed. found is false for an
// unknown, expired or already delivered id.
func (r *Redis) Take(ctx context.Context, id string) (Record, bool, error) {
	v, err := takeScript.Run(ctx, r.rdb, []string{r.prefix + "poll:" + id}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Record{}, false, nil
	case err != nil:
		return Record{}, false, fmt.Errorf("read poll from redis: %w", err)
	}
	var rec Record
	s, _ := v.(string)
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		return Record{}, false, fmt.Errorf("decode poll: %w", err)
	}
	return rec, true, nil
}

// KV keeps records in a bucket whose MaxAge is TTL.
type KV struct{ kv jetstream.KeyValue }

// NewKV creates or opens the bucket.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "Parley V2 poll answers", TTL: TTL, History: 1, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("poll bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv}, nil
}

// Put records a poll in progress.
func (k *KV) Put(ctx context.Context, id string, rec Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode poll: %w", err)
	}
	if _, err := k.kv.Put(ctx, id, data); err != nil {
		return fmt.Errorf("store poll: %w", err)
	}
	return nil
}

// Take returns the poll; an answered one is removed, by one caller only
// (the delete is conditional on the revision read).
func (k *KV) Take(ctx context.Context, id string) (Record, bool, error) {
	e, err := k.kv.Get(ctx, id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return Record{}, false, nil
	case err != nil:
		return Record{}, false, fmt.Errorf("read poll: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return Record{}, false, fmt.Errorf("decode poll: %w", err)
	}
	if rec.Done {
		if err := k.kv.Delete(ctx, id, jetstream.LastRevision(e.Revision())); err != nil {
			return Record{}, false, nil // another replica delivered it first
		}
	}
	return rec, true, nil
}
