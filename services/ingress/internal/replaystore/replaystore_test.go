package replaystore

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

type guard interface {
	Reserve(ctx context.Context, appID, jti string, until time.Time) (bool, error)
}

// conformance is the behaviour every replay store must have.
func conformance(t *testing.T, g guard) {
	ctx := t.Context()
	until := time.Now().Add(time.Minute)
	fresh, err := g.Reserve(ctx, "cs-a", "token-1", until)
	if err != nil || !fresh {
		t.Fatalf("first reserve = %v, %v", fresh, err)
	}
	if fresh, _ := g.Reserve(ctx, "cs-a", "token-1", until); fresh {
		t.Fatal("second reserve of the same jti was fresh")
	}
	if fresh, _ := g.Reserve(ctx, "cs-b", "token-1", until); !fresh {
		t.Fatal("the same jti of another app was not fresh")
	}
	if fresh, _ := g.Reserve(ctx, "cs-a", "weird id/with.dots and spaces", until); !fresh {
		t.Fatal("a jti with unusual characters was refused")
	}

	// Concurrent replicas racing on one id: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if ok, err := g.Reserve(ctx, "cs-a", "raced", until); err == nil && ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent reservations won, want 1", wins.Load())
	}
}

func TestRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	conformance(t, NewRedis(rdb, prefix))

	// The key expires with the token.
	g := NewRedis(rdb, prefix)
	if _, err := g.Reserve(t.Context(), "cs-a", "short", time.Now().Add(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.TTL(t.Context(), prefix+"jti:cs-a:short").Val()
	if ttl <= 0 || ttl > 2*time.Second {
		t.Fatalf("ttl = %v, want about the token's remaining lifetime", ttl)
	}
}

func TestKV(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	g, err := NewKV(t.Context(), conn.JS, fmt.Sprintf("jti_%d", time.Now().UnixNano()), 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, g)
}

// TestRedisReserveSurvivesARetriedCommand: when a connection breaks after
// Redis ran the reservation, the client runs the same command again; that
// run must still say fresh, or the request would be refused as a replay.
func TestRedisReserveSurvivesARetriedCommand(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	g := NewRedis(rdb, prefix)
	until := time.Now().Add(time.Minute)
	for i := range 2 {
		if fresh, err := g.reserve(t.Context(), "cs-a", "retried", "nonce-1", until); err != nil || !fresh {
			t.Fatalf("run %d of one reservation = %v, %v; want fresh", i+1, fresh, err)
		}
	}
	if fresh, err := g.reserve(t.Context(), "cs-a", "retried", "nonce-2", until); err != nil || fresh {
		t.Fatalf("another reservation of the id = %v, %v; want a replay", fresh, err)
	}
}
