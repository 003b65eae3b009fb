package polls

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
	Put(ctx context.Context, id string, rec Record) error
	Take(ctx context.Context, id string) (Record, bool, error)
}

// conformance: a pending poll stays until answered; an answer is taken
// once, by one caller only.
func conformance(t *testing.T, s store) {
	ctx := t.Context()
	id := "0123456789abcdef0123456789abcdef"
	if _, found, err := s.Take(ctx, id); err != nil || found {
		t.Fatalf("unknown id: found %v, %v", found, err)
	}
	rec := Record{App: "cs-a", Bot: "st-1", Instance: "i"}
	if err := s.Put(ctx, id, rec); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, found, err := s.Take(ctx, id)
		if err != nil || !found || got.Done || got.App != "cs-a" {
			t.Fatalf("pending poll: %+v %v %v", got, found, err)
		}
	}
	rec.Done, rec.Status, rec.Body = true, 200, []byte(`{"_v":"v2"}`)
	if err := s.Put(ctx, id, rec); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, found, err := s.Take(ctx, id); err == nil && found && got.Done && string(got.Body) == `{"_v":"v2"}` {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("the answer was delivered %d times, want once", wins.Load())
	}
	if _, found, _ := s.Take(ctx, id); found {
		t.Fatal("the answer was delivered again")
	}
}

func TestRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	conformance(t, NewRedis(rdb, prefix))
	// A poll lives for the TTL.
	if err := NewRedis(rdb, prefix).Put(t.Context(), "ffffffffffffffffffffffffffffffff", Record{App: "a"}); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(t.Context(), prefix+"poll:ffffffffffffffffffffffffffffffff").Val(); ttl <= TTL-time.Minute || ttl > TTL {
		t.Fatalf("ttl %v, want %v", ttl, TTL)
	}
}

func TestKV(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	s, err := NewKV(t.Context(), conn.JS, fmt.Sprintf("polls_%d", time.Now().UnixNano()), 1)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, s)
}
