package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/memstore"
	"github.com/parleyhq/parley/services/dialog/internal/session"
	"github.com/parleyhq/parley/services/dialog/internal/storetest"
)

// counting counts loads that reach the store.
type counting struct {
	session.Store
	loads int
}

func (c *counting) Load(ctx context.Context, key string) (session.Record, error) {
	c.loads++
	return c.Store.Load(ctx, key)
}

func TestCachedConformance(t *testing.T) {
	n := 0
	storetest.Run(t, session.NewCached(memstore.New(), 100, time.Minute), func() string { n++; return fmt.Sprintf("k%d", n) })
}

func TestCachedSkipsReadsOfItsOwnWrites(t *testing.T) {
	inner := &counting{Store: memstore.New()}
	c := session.NewCached(inner, 100, time.Minute)
	ctx := t.Context()
	rec, _ := c.Load(ctx, "k")
	for seq := uint64(1); seq <= 5; seq++ {
		if _, err := c.Save(ctx, "k", rec, &dialogv1.Session{LastTurnSequence: seq}, time.Minute); err != nil {
			t.Fatal(err)
		}
		var err error
		if rec, err = c.Load(ctx, "k"); err != nil || rec.LastSequence() != seq {
			t.Fatalf("load after save %d: %+v %v", seq, rec, err)
		}
	}
	if inner.loads != 1 {
		t.Fatalf("%d loads reached the store, want only the first", inner.loads)
	}
}

func TestCachedStaleEntryConflictsAndIsDropped(t *testing.T) {
	inner := memstore.New()
	c := session.NewCached(inner, 100, time.Minute)
	ctx := t.Context()
	if _, err := c.Save(ctx, "k", session.Record{}, &dialogv1.Session{LastTurnSequence: 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	// Another replica writes behind the cache's back.
	cur, _ := inner.Load(ctx, "k")
	if _, err := inner.Save(ctx, "k", cur, &dialogv1.Session{LastTurnSequence: 2}, time.Minute); err != nil {
		t.Fatal(err)
	}
	stale, _ := c.Load(ctx, "k")
	if stale.LastSequence() != 1 {
		t.Fatalf("expected the cached (stale) record, got seq %d", stale.LastSequence())
	}
	if _, err := c.Save(ctx, "k", stale, &dialogv1.Session{LastTurnSequence: 3}, time.Minute); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save over a stale cache entry: %v, want ErrConflict", err)
	}
	if fresh, _ := c.Load(ctx, "k"); fresh.LastSequence() != 2 {
		t.Fatalf("after the conflict the cache still serves seq %d", fresh.LastSequence())
	}
}
