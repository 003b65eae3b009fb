package scopes

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// hashTag is the part of a key Redis Cluster hashes to pick its slot: the
// text between the first '{' and the next '}' when it is not empty, else
// the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// TestRedisKeysOfOneTransactionShareASlot: Put and Delete change a scope's
// hash and its TTL key in one MULTI, which Redis Cluster keeps atomic only
// within one slot; the BotUserSession hash also shares the session's slot.
func TestRedisKeysOfOneTransactionShareASlot(t *testing.T) {
	s := NewRedis(nil, "parley:")
	for _, ref := range []Ref{
		{engine.ScopeEnterprise, "default"}, {engine.ScopeBot, "st-2b5e9b0c"},
		{engine.ScopeUserSession, "cs-6a0b8b86/alice@example.com"}, {engine.ScopeBotUser, "k2xj4q"},
	} {
		hash, ttl := s.hash(ref), s.ttlKey(ref, "balances")
		if hashTag(hash) == hash || hashTag(hash) != hashTag(ttl) {
			t.Errorf("%s: %s and %s are not tagged into one slot (tags %q, %q)", ref.Kind, hash, ttl, hashTag(hash), hashTag(ttl))
		}
	}
	if got, want := hashTag(s.hash(Ref{engine.ScopeBotUser, "k2xj4q"})), hashTag("parley:sess:{k2xj4q}"); got != want {
		t.Errorf("BotUserSession tag %q, session tag %q", got, want)
	}
}

// TestRedisFailuresAreUnavailable: a Redis that does not answer is an
// ErrUnavailable, which makes the dialog retry the turn.
func TestRedisFailuresAreUnavailable(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	s := NewRedis(rdb, "parley:")
	ref := Ref{engine.ScopeUserSession, "u"}
	_, _, getErr := s.Get(t.Context(), ref, "k")
	for name, err := range map[string]error{
		"get": getErr, "put": s.Put(t.Context(), ref, "k", 1, 0), "delete": s.Delete(t.Context(), ref, "k"),
	} {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with Redis down = %v, want ErrUnavailable", name, err)
		}
	}
}
