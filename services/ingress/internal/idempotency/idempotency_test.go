package idempotency

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/redistest"
)

type store interface {
	Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Record, bool, error)
	Finish(ctx context.Context, key string, rec Record) error
	Release(ctx context.Context, key string) error
}

// conformance is the behaviour every store must have.
func conformance(t *testing.T, s store) {
	ctx := t.Context()
	key := Key("bot/inst", "alice", "retry-1")

	if _, claimed, err := s.Claim(ctx, key, "fp-a", time.Minute); err != nil || !claimed {
		t.Fatalf("first claim = %v, %v", claimed, err)
	}
	rec, claimed, err := s.Claim(ctx, key, "fp-a", time.Minute)
	if err != nil || claimed || rec.Done || rec.Fingerprint != "fp-a" {
		t.Fatalf("claim while in flight = %+v, %v, %v; want the pending record", rec, claimed, err)
	}

	if err := s.Finish(ctx, key, Record{Fingerprint: "fp-a", Status: 200, Body: []byte(`{"text":["hi"]}`)}); err != nil {
		t.Fatal(err)
	}
	rec, claimed, err = s.Claim(ctx, key, "fp-b", time.Minute)
	if err != nil || claimed || !rec.Done || rec.Status != 200 || string(rec.Body) != `{"text":["hi"]}` || rec.Fingerprint != "fp-a" {
		t.Fatalf("claim after finish = %+v, %v, %v; want the stored answer", rec, claimed, err)
	}

	// Another user's, or another instance's, use of the same header value
	// is another request.
	for _, other := range []string{Key("bot/inst", "bob", "retry-1"), Key("bot/other", "alice", "retry-1")} {
		if _, claimed, err := s.Claim(ctx, other, "fp-a", time.Minute); err != nil || !claimed {
			t.Fatalf("claim of %s = %v, %v; want a new claim", other, claimed, err)
		}
	}

	// A request that was not accepted is forgotten.
	released := Key("bot/inst", "alice", "refused")
	if _, _, err := s.Claim(ctx, released, "fp", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, released); err != nil {
		t.Fatal(err)
	}
	if _, claimed, err := s.Claim(ctx, released, "fp", time.Minute); err != nil || !claimed {
		t.Fatalf("claim after release = %v, %v", claimed, err)
	}

	// A lease whose holder never answered lapses.
	lapsed := Key("bot/inst", "alice", "holder died")
	if _, _, err := s.Claim(ctx, lapsed, "fp", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitPast(20 * time.Millisecond)
	if _, claimed, err := s.Claim(ctx, lapsed, "fp", time.Minute); err != nil || !claimed {
		t.Fatalf("claim after the lease lapsed = %v, %v", claimed, err)
	}

	// Replicas racing on one key: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	raced := Key("bot/inst", "alice", "raced")
	for range 16 {
		wg.Go(func() {
			if _, ok, err := s.Claim(ctx, raced, "fp", time.Minute); err == nil && ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent claims won, want 1", wins.Load())
	}
}

func TestRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	conformance(t, NewRedis(rdb, prefix))

	// Answers are kept for a day, unanswered claims only for their lease.
	s := NewRedis(rdb, prefix)
	key := Key("bot/inst", "carol", "x")
	if _, _, err := s.Claim(t.Context(), key, "fp", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(t.Context(), prefix+"idem:"+key).Val(); ttl <= 0 || ttl > 30*time.Second {
		t.Fatalf("claim ttl = %v, want the lease", ttl)
	}
	if err := s.Finish(t.Context(), key, Record{Fingerprint: "fp", Status: 200}); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(t.Context(), prefix+"idem:"+key).Val(); ttl < Retention-time.Minute || ttl > Retention {
		t.Fatalf("answer ttl = %v, want %v", ttl, Retention)
	}
}

// TestRedisClaimSurvivesARetriedCommand: when a connection breaks after
// Redis ran the claim, the client runs the same command again; that run is
// still this request's claim, not another request in flight.
func TestRedisClaimSurvivesARetriedCommand(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := NewRedis(rdb, prefix)
	key := Key("bot/inst", "dave", "retried")
	for i := range 2 {
		if _, claimed, err := s.claim(t.Context(), key, "fp", "nonce-1", time.Minute); err != nil || !claimed {
			t.Fatalf("run %d of one claim = %v, %v; want claimed", i+1, claimed, err)
		}
	}
	rec, claimed, err := s.claim(t.Context(), key, "fp", "nonce-2", time.Minute)
	if err != nil || claimed || rec.Fingerprint != "fp" || rec.Done {
		t.Fatalf("another request with the key = %+v, %v, %v; want the claim in flight", rec, claimed, err)
	}
}

func TestKV(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	s, err := NewKV(t.Context(), conn.JS, fmt.Sprintf("idem_%d", time.Now().UnixNano()), 1)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, s)
}

func TestKeyScopes(t *testing.T) {
	a := Key("bot/inst", "alice", "k")
	for _, other := range []string{Key("bot/inst", "alice", "k2"), Key("bot/inst", "alice2", "k"), Key("bot/inst2", "alice", "k"),
		Key("bot/inst", "alice\x00k", ""), Key("bot/inst\x00alice", "k", "")} {
		if other == a {
			t.Errorf("keys collide: %s", a)
		}
	}
	if Key("bot/inst", "alice", "k") != a {
		t.Error("Key is not deterministic")
	}
}
