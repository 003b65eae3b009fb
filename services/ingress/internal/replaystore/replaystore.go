// Package replaystore keeps the set of JWT ids already used, shared by every
// ingress replica: in Redis when one is configured, else in a JetStream KV
// bucket.
package replaystore

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Redis stores each id as jti:<app>:<jti>, kept until the token expires.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis returns a guard on rdb; prefix namespaces the keys.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// reserveScript stores ARGV[1], a nonce of this reservation, under KEYS[1]
// until ARGV[2] (ms since the epoch) unless another reservation holds it.
// The nonce makes it safe to run twice: the client re-sends a command whose
// answer a broken connection lost (a failover), and that second run must
// not take the first one's success for a replay.
var reserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0
`)

// Reserve records jti and reports whether it was new.
func (r *Redis) Reserve(ctx context.Context, appID, jti string, until time.Time) (bool, error) {
	return r.reserve(ctx, appID, jti, uuid.NewString(), until)
}

func (r *Redis) reserve(ctx context.Context, appID, jti, nonce string, until time.Time) (bool, error) {
	key := r.prefix + "jti:" + appID + ":" + jti
	n, err := reserveScript.Run(ctx, r.rdb, []string{key}, nonce, until.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("reserve jti in redis: %w", err)
	}
	return n == 1, nil
}

// KV stores ids in a bucket whose MaxAge is the longest token lifetime a jti
// may have (Kore's one hour) plus the clock skew, so that an id outlives any
// token carrying it.
type KV struct {
	kv jetstream.KeyValue
}

// MaxLifetime of a jti-bearing token, plus skew.
func bucketTTL(skew time.Duration) time.Duration { return time.Hour + 2*skew }

// NewKV creates or opens the bucket.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, skew time.Duration) (*KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley JWT ids seen (replay protection)",
		TTL:         bucketTTL(skew),
		History:     1,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("jti bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv}, nil
}

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Reserve records jti and reports whether it was new. The id is hashed
// because KV keys allow only a small alphabet.
func (k *KV) Reserve(ctx context.Context, appID, jti string, _ time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(jti))
	key := appID + "." + enc.EncodeToString(sum[:20])
	_, err := k.kv.Create(ctx, key, nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("reserve jti in kv: %w", err)
}
