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

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Redis stores each id as jti:<app>:<jti> with SET NX EXAT, kept until the
// token expires.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis returns a guard on rdb; prefix namespaces the keys.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// Reserve records jti and reports whether it was new.
func (r *Redis) Reserve(ctx context.Context, appID, jti string, until time.Time) (bool, error) {
	key := r.prefix + "jti:" + appID + ":" + jti
	err := r.rdb.SetArgs(ctx, key, 1, redis.SetArgs{Mode: "NX", ExpireAt: until}).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	}
	return false, fmt.Errorf("reserve jti in redis: %w", err)
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
