// Package memstore is an in-memory session.Store for tests and benchmarks.
package memstore

import (
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Store keeps sessions in a map.
type Store struct {
	mu sync.Mutex
	m  map[string]session.Record
}

// New returns an empty store.
func New() *Store { return &Store{m: map[string]session.Record{}} }

// Load implements session.Store.
func (s *Store) Load(_ context.Context, key string) (session.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.m[key]
	if !ok {
		return session.Record{}, nil
	}
	return session.Record{Version: rec.Version, Session: proto.Clone(rec.Session).(*dialogv1.Session)}, nil
}

// Save implements session.Store.
func (s *Store) Save(_ context.Context, key string, prev session.Record, next *dialogv1.Session, _ time.Duration) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[key]
	if cur.Version != prev.Version {
		return 0, session.ErrConflict
	}
	if next.LastTurnSequence <= cur.LastSequence() {
		return 0, session.ErrStale
	}
	s.m[key] = session.Record{Version: cur.Version + 1, Session: proto.Clone(next).(*dialogv1.Session)}
	return cur.Version + 1, nil
}

var _ session.Store = (*Store)(nil)
