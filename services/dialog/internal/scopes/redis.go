package scopes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// Redis keeps each scope instance in one hash (ent:{<org>}, bot:{<bot>},
// us:{<user>}, bus:{<convkey>}), values JSON-encoded; a put with a TTL is a
// separate string key <hash>:ttl:<key> with its own expiry, read first.
// Put and Delete change both keys in one MULTI, so both carry the hash's
// {tag}: in Redis Cluster they are in one slot and the transaction stays
// one (a BotUserSession hash shares its slot with the session,
// sess:{<convkey>}).
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis returns a store; prefix namespaces the keys.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

func (s *Redis) hash(ref Ref) string {
	switch ref.Kind {
	case engine.ScopeEnterprise:
		return s.prefix + "ent:{" + ref.ID + "}"
	case engine.ScopeBot:
		return s.prefix + "bot:{" + ref.ID + "}"
	case engine.ScopeUserSession:
		return s.prefix + "us:{" + ref.ID + "}"
	default:
		return s.prefix + "bus:{" + ref.ID + "}"
	}
}

func (s *Redis) ttlKey(ref Ref, key string) string { return s.hash(ref) + ":ttl:" + key }

// Get implements Store.
func (s *Redis) Get(ctx context.Context, ref Ref, key string) (any, bool, error) {
	raw, err := s.rdb.Get(ctx, s.ttlKey(ref, key)).Result()
	if errors.Is(err, redis.Nil) {
		raw, err = s.rdb.HGet(ctx, s.hash(ref), key).Result()
	}
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get %s.%s: %w: %w", ref.Kind, key, ErrUnavailable, err)
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, false, fmt.Errorf("get %s.%s: decode: %w", ref.Kind, key, err)
	}
	return v, true, nil
}

// Put implements Store.
func (s *Redis) Put(ctx context.Context, ref Ref, key string, v any, ttl time.Duration) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put %s.%s: encode: %w", ref.Kind, key, err)
	}
	pipe := s.rdb.TxPipeline()
	if ttl > 0 {
		pipe.HDel(ctx, s.hash(ref), key)
		pipe.Set(ctx, s.ttlKey(ref, key), data, ttl)
	} else {
		pipe.Del(ctx, s.ttlKey(ref, key))
		pipe.HSet(ctx, s.hash(ref), key, data)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("put %s.%s: %w: %w", ref.Kind, key, ErrUnavailable, err)
	}
	return nil
}

// Delete implements Store.
func (s *Redis) Delete(ctx context.Context, ref Ref, key string) error {
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, s.ttlKey(ref, key))
	pipe.HDel(ctx, s.hash(ref), key)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("delete %s.%s: %w: %w", ref.Kind, key, ErrUnavailable, err)
	}
	return nil
}

var _ Store = (*Redis)(nil)
