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
	// FromID is the turn's from.id; Subject is the sub (or kore_sub) of
	// the token that sent the turn.
	FromID  string `json:"fromId"`
	Subject string `json:"subject"`
	Done    bool   `json:"done,omitempty"`
	Status  int    `json:"status,omitempty"`
	Body    []byte `json:"body,omitempty"`
}

// Requester is who asks for a poll: the channel instance named by the URL
// and the app and user claims of the request's verified token.
type Requester struct {
	App, Bot, Instance string
	// UserIdentity and Subject are the token's userIdentity and sub (or
	// kore_sub) claims, "" when absent.
	UserIdentity, Subject string
}

// Allows reports whether r may read the poll: a poll is bound to its bot,
// instance, app and user (contract §11.21). A token bound to a user by
// userIdentity reads the polls of that from.id (as it may only send as
// that from.id, §2.4); any other token reads the polls opened by a token
// with the same sub. A poll id of another user is answered as an unknown
// one.
func (rec Record) Allows(r Requester) bool {
	if rec.App != r.App || rec.Bot != r.Bot || rec.Instance != r.Instance {
		return false
	}
	if r.UserIdentity != "" {
		return r.UserIdentity == rec.FromID
	}
	return r.Subject != "" && r.Subject == rec.Subject
}

// Pollable reports whether a turn sent with a token of these claims can be
// polled at all: the same token must be able to read it back.
func Pollable(userIdentity, subject string) bool {
	return userIdentity != "" || subject != ""
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

// deleteIfScript deletes the key only if it still holds ARGV[1], so that
// of several replicas taking the same answer one alone wins.
var deleteIfScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Take returns the poll if r may read it; an answered one is removed, by
// one caller only. found is false for an unknown, expired or already
// delivered id, and for another requester's: that one is left in place.
func (r *Redis) Take(ctx context.Context, id string, who Requester) (Record, bool, error) {
	key := r.prefix + "poll:" + id
	v, err := r.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Record{}, false, nil
	case err != nil:
		return Record{}, false, fmt.Errorf("read poll from redis: %w", err)
	}
	var rec Record
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return Record{}, false, fmt.Errorf("decode poll: %w", err)
	}
	if !rec.Allows(who) {
		return Record{}, false, nil
	}
	if rec.Done {
		n, err := deleteIfScript.Run(ctx, r.rdb, []string{key}, v).Int()
		if err != nil {
			return Record{}, false, fmt.Errorf("take poll from redis: %w", err)
		}
		if n == 0 {
			return Record{}, false, nil // another replica delivered it first
		}
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

// Take returns the poll if r may read it; an answered one is removed, by
// one caller only (the delete is conditional on the revision read). found
// is false for an unknown, expired or delivered id, and for another
// requester's: that one is left in place.
func (k *KV) Take(ctx context.Context, id string, who Requester) (Record, bool, error) {
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
	if !rec.Allows(who) {
		return Record{}, false, nil
	}
	if rec.Done {
		if err := k.kv.Delete(ctx, id, jetstream.LastRevision(e.Revision())); err != nil {
			return Record{}, false, nil // another replica delivered it first
		}
	}
	return rec, true, nil
}
