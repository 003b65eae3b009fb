package scopes

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/redistest"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// conformance runs the same behaviour against every Store.
func conformance(t *testing.T, s Store, expire func(time.Duration)) {
	ctx := t.Context()
	bot := Ref{engine.ScopeBot, "st-1"}
	other := Ref{engine.ScopeBot, "st-2"}
	user := Ref{engine.ScopeUserSession, "u1"}

	if _, ok, err := s.Get(ctx, bot, "k"); err != nil || ok {
		t.Fatalf("empty get = %v, %v", ok, err)
	}
	if err := s.Put(ctx, bot, "k", map[string]any{"a": 1.0}, 0); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.Get(ctx, bot, "k")
	if err != nil || !ok || v.(map[string]any)["a"] != 1.0 {
		t.Fatalf("get = %v, %v, %v", v, ok, err)
	}
	if _, ok, _ := s.Get(ctx, other, "k"); ok {
		t.Fatal("a bot's value is visible to another bot")
	}
	if _, ok, _ := s.Get(ctx, user, "k"); ok {
		t.Fatal("a bot's value is visible in a user scope")
	}
	if err := s.Delete(ctx, bot, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, bot, "k"); ok {
		t.Fatal("deleted value still there")
	}
	// TTL: the value expires; a later put without TTL replaces it for good.
	if err := s.Put(ctx, user, "t", "soon", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.Get(ctx, user, "t"); !ok || v != "soon" {
		t.Fatalf("ttl value = %v, %v", v, ok)
	}
	expire(60 * time.Millisecond)
	if _, ok, _ := s.Get(ctx, user, "t"); ok {
		t.Fatal("ttl value did not expire")
	}
	if err := s.Put(ctx, user, "p", "ttl", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, user, "p", "forever", 0); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s.Get(ctx, user, "p"); v != "forever" {
		t.Fatalf("put without ttl did not replace the ttl value: %v", v)
	}
}

func TestMemory(t *testing.T) {
	m := NewMemory()
	now := time.Now()
	m.now = func() time.Time { return now }
	conformance(t, m, func(d time.Duration) { now = now.Add(d) })
}

func TestRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	conformance(t, NewRedis(rdb, prefix), waitPast)
}

func TestKV(t *testing.T) {
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	s, err := NewKV(t.Context(), conn.JS, cfg.Name("scopes"), 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.now = func() time.Time { return now }
	conformance(t, s, func(d time.Duration) { now = now.Add(d) })

	// Two replicas on one bucket share a bot's context.
	other, err := NewKV(t.Context(), conn.JS, cfg.Name("scopes"), 1)
	if err != nil {
		t.Fatal(err)
	}
	bot := Ref{engine.ScopeBot, "st-shared"}
	if err := s.Put(t.Context(), bot, "rate", 3.5, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := other.Get(t.Context(), bot, "rate"); err != nil || !ok || v != 3.5 {
		t.Fatalf("the other replica reads %v, %v, %v", v, ok, err)
	}
}

func TestBoundRefs(t *testing.T) {
	b := Bound{Enterprise: "e", Bot: "b", User: "u", Conversation: "c"}
	for kind, want := range map[engine.ScopeKind]string{
		engine.ScopeEnterprise: "e", engine.ScopeBot: "b", engine.ScopeUserSession: "u", engine.ScopeBotUser: "c",
	} {
		if got := b.Ref(kind).ID; got != want {
			t.Errorf("%s → %s, want %s", kind, got, want)
		}
	}
}
