// Package idempotency remembers webhook requests sent with an
// Idempotency-Key header (contract §11.27), shared by every ingress replica:
// in Redis when one is configured, else in a JetStream KV bucket.
//
// A key is first claimed with a short lease while its turn is published and
// answered, then kept for a day with the answer, so that a client's retry
// gets the original acknowledgement instead of a second turn. If the
// replica holding a lease dies before answering, the lease runs out and a
// retry may claim the key again; the turn id derived from the key then lets
// JetStream's duplicate window drop a second copy of a turn already stored.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Retention is how long an answered request is remembered.
const Retention = 24 * time.Hour

// Record is what is remembered of one request.
type Record struct {
	// Fingerprint identifies the request body, so that a key reused for a
	// different request is caught.
	Fingerprint string `json:"fp"`
	// LeaseUntil is when a claim that was never answered lapses.
	LeaseUntil time.Time `json:"lease,omitzero"`
	// Done says the request was answered with Status and Body.
	Done   bool   `json:"done,omitempty"`
	Status int    `json:"status,omitempty"`
	Body   []byte `json:"body,omitempty"`
}

// Key scopes a client's Idempotency-Key to the channel instance and the
// user, hashed to a fixed length and an alphabet every store accepts.
func Key(instance, fromID, idempotencyKey string) string {
	// Length-prefixed, so that no two triples give the same input.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s%d:%s%d:%s", len(instance), instance, len(fromID), fromID, len(idempotencyKey), idempotencyKey))
	return enc.EncodeToString(sum[:20])
}

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// live reports whether rec still holds its key at now: answered, or claimed
// with a lease that has not run out.
func (rec Record) live(now time.Time) bool { return rec.Done || now.Before(rec.LeaseUntil) }

// Redis keeps records as JSON strings under <prefix>idem:<key>.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewRedis returns a store on rdb; prefix namespaces the keys.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix, now: time.Now}
}

// claimScript sets KEYS[1] to ARGV[1] for ARGV[3] ms unless it holds a live
// record (answered, or leased past ARGV[2] ms since the epoch), which it
// returns instead. One script, so that two replicas cannot both take over
// a lapsed lease. A record holding this claim's nonce (ARGV[4]) is this
// claim: the client re-sends a command whose answer a broken connection
// lost (a failover), and that second run must not take the first one's
// lease for another request in flight.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local rec = cjson.decode(v)
  if rec.done then return v end
  if rec.claim == ARGV[4] then return false end
  if rec.lease_ms and tonumber(rec.lease_ms) > tonumber(ARGV[2]) then return v end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false
`)

// redisRecord adds the lease in milliseconds, which the script compares,
// and the nonce of the claim that wrote it.
type redisRecord struct {
	Record
	LeaseMS int64  `json:"lease_ms,omitempty"`
	Claim   string `json:"claim,omitempty"`
}

// Claim records a new request under key with a lease, or returns the live
// record already there (claimed false).
func (r *Redis) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Record, bool, error) {
	return r.claim(ctx, key, fingerprint, uuid.NewString(), lease)
}

func (r *Redis) claim(ctx context.Context, key, fingerprint, nonce string, lease time.Duration) (Record, bool, error) {
	now := r.now()
	rec := Record{Fingerprint: fingerprint, LeaseUntil: now.Add(lease)}
	data, err := json.Marshal(redisRecord{Record: rec, LeaseMS: rec.LeaseUntil.UnixMilli(), Claim: nonce})
	if err != nil {
		return Record{}, false, fmt.Errorf("encode idempotency record: %w", err)
	}
	res, err := claimScript.Run(ctx, r.rdb, []string{r.prefix + "idem:" + key}, data, now.UnixMilli(), lease.Milliseconds(), nonce).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return rec, true, nil
	case err != nil:
		return Record{}, false, fmt.Errorf("claim idempotency key in redis: %w", err)
	}
	s, _ := res.(string)
	var old redisRecord
	if err := json.Unmarshal([]byte(s), &old); err != nil {
		return Record{}, false, fmt.Errorf("decode idempotency record: %w", err)
	}
	return old.Record, false, nil
}

// Finish stores the answer and keeps it for Retention.
func (r *Redis) Finish(ctx context.Context, key string, rec Record) error {
	rec.Done, rec.LeaseUntil = true, time.Time{}
	data, err := json.Marshal(redisRecord{Record: rec})
	if err != nil {
		return fmt.Errorf("encode idempotency record: %w", err)
	}
	if err := r.rdb.Set(ctx, r.prefix+"idem:"+key, data, Retention).Err(); err != nil {
		return fmt.Errorf("store idempotent answer in redis: %w", err)
	}
	return nil
}

// Release forgets a claim whose request was not accepted, so that a retry
// is taken as new.
func (r *Redis) Release(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.prefix+"idem:"+key).Err(); err != nil {
		return fmt.Errorf("release idempotency key in redis: %w", err)
	}
	return nil
}

// KV keeps records in a JetStream KV bucket whose MaxAge is Retention.
type KV struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// NewKV creates or opens the bucket.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley webhook requests by Idempotency-Key",
		TTL:         Retention,
		History:     1,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv, now: time.Now}, nil
}

// Claim records a new request under key with a lease, or returns the live
// record already there (claimed false). A lapsed lease is taken over with a
// compare-and-set on its revision, so only one replica wins it.
func (k *KV) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Record, bool, error) {
	now := k.now()
	rec := Record{Fingerprint: fingerprint, LeaseUntil: now.Add(lease)}
	data, err := json.Marshal(rec)
	if err != nil {
		return Record{}, false, fmt.Errorf("encode idempotency record: %w", err)
	}
	// Two rounds at most: a record can vanish (deleted, or aged out)
	// between the failed create and the read.
	for range 2 {
		_, err := k.kv.Create(ctx, key, data)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Record{}, false, fmt.Errorf("claim idempotency key: %w", err)
		}
		entry, err := k.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return Record{}, false, fmt.Errorf("read idempotency key: %w", err)
		}
		var old Record
		if err := json.Unmarshal(entry.Value(), &old); err != nil {
			return Record{}, false, fmt.Errorf("decode idempotency record: %w", err)
		}
		if old.live(now) {
			return old, false, nil
		}
		if _, err := k.kv.Update(ctx, key, data, entry.Revision()); err != nil {
			// Another replica took the lapsed lease first.
			if latest, gerr := k.kv.Get(ctx, key); gerr == nil && json.Unmarshal(latest.Value(), &old) == nil {
				return old, false, nil
			}
			return Record{}, false, fmt.Errorf("take over idempotency key: %w", err)
		}
		return rec, true, nil
	}
	return Record{}, false, errors.New("claim idempotency key: the record kept changing")
}

// Finish stores the answer; the bucket keeps it for Retention.
func (k *KV) Finish(ctx context.Context, key string, rec Record) error {
	rec.Done, rec.LeaseUntil = true, time.Time{}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode idempotency record: %w", err)
	}
	if _, err := k.kv.Put(ctx, key, data); err != nil {
		return fmt.Errorf("store idempotent answer: %w", err)
	}
	return nil
}

// Release forgets a claim whose request was not accepted.
func (k *KV) Release(ctx context.Context, key string) error {
	if err := k.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
