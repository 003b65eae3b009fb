// Package storetest is the conformance suite every session.Store must pass.
package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Run runs the suite against a store; newKey returns a key unused so far.
func Run(t *testing.T, store session.Store, newKey func() string) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, store session.Store, key string)
	}{
		{"missing session loads empty", missingLoadsEmpty},
		{"save then load round-trips", saveLoadRoundTrips},
		{"stale version conflicts", staleVersionConflicts},
		{"older or equal turn is stale", olderTurnIsStale},
		{"concurrent writers: exactly one wins each round", oneConcurrentWriterWins},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, store, newKey()) })
	}
}

func missingLoadsEmpty(t *testing.T, store session.Store, key string) {
	rec, err := store.Load(t.Context(), key)
	if err != nil || rec.Version != 0 || rec.Session != nil {
		t.Fatalf("Load = %+v, %v; want an empty record", rec, err)
	}
}

func saveLoadRoundTrips(t *testing.T, store session.Store, key string) {
	next := &dialogv1.Session{ConversationKey: key, SessionId: "s1", LastTurnSequence: 7, ContextJson: []byte(`{"a":1}`)}
	version, err := store.Save(t.Context(), key, session.Record{}, next, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Load(t.Context(), key)
	if err != nil || rec.Version == 0 || rec.Version != version || rec.Session.GetSessionId() != "s1" || string(rec.Session.ContextJson) != `{"a":1}` || rec.LastSequence() != 7 {
		t.Fatalf("Load = %+v, %v", rec, err)
	}
}

func staleVersionConflicts(t *testing.T, store session.Store, key string) {
	if _, err := store.Save(t.Context(), key, session.Record{}, &dialogv1.Session{LastTurnSequence: 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	first, _ := store.Load(t.Context(), key)
	if _, err := store.Save(t.Context(), key, first, &dialogv1.Session{LastTurnSequence: 2}, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := store.Save(t.Context(), key, first, &dialogv1.Session{LastTurnSequence: 3}, time.Minute)
	if !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save at an old version: %v, want ErrConflict", err)
	}
	if _, err := store.Save(t.Context(), key, session.Record{}, &dialogv1.Session{LastTurnSequence: 9}, time.Minute); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("create over an existing session: %v, want ErrConflict", err)
	}
}

func olderTurnIsStale(t *testing.T, store session.Store, key string) {
	if _, err := store.Save(t.Context(), key, session.Record{}, &dialogv1.Session{LastTurnSequence: 10}, time.Minute); err != nil {
		t.Fatal(err)
	}
	cur, _ := store.Load(t.Context(), key)
	for _, seq := range []uint64{10, 4} {
		if _, err := store.Save(t.Context(), key, cur, &dialogv1.Session{LastTurnSequence: seq}, time.Minute); !errors.Is(err, session.ErrStale) {
			t.Fatalf("save of turn %d after 10: %v, want ErrStale", seq, err)
		}
	}
	after, _ := store.Load(t.Context(), key)
	if after.Version != cur.Version {
		t.Fatal("a stale save changed the record")
	}
}

func oneConcurrentWriterWins(t *testing.T, store session.Store, key string) {
	var wins atomic.Int32
	var wg sync.WaitGroup
	start, _ := store.Load(t.Context(), key)
	for i := range 8 {
		wg.Go(func() {
			_, err := store.Save(t.Context(), key, start, &dialogv1.Session{LastTurnSequence: uint64(100 + i)}, time.Minute)
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, session.ErrConflict) {
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d writers won, want 1", wins.Load())
	}
}
