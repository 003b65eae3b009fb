// Package scopes stores Kore's shared variable scopes (reference §1.1):
// EnterpriseContext, BotContext, UserSession and the TTL'd part of
// BotUserSession. They are shared across users or bots, so they live beside
// the sessions, not inside them: one map per scope instance, and a put with
// a TTL is a separate entry with its own expiry.
package scopes

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// Ref names one scope instance: the kind and whose it is (the enterprise,
// the bot, the user, or the conversation for BotUserSession).
type Ref struct {
	Kind engine.ScopeKind
	ID   string
}

// ErrUnavailable marks a store failure that may pass (Redis failing over or
// unreachable, NATS reconnecting): the turn that met it is retried later,
// not answered as if the value were absent.
var ErrUnavailable = errors.New("scope store unavailable")

// Store is the port the processor uses. Errors that may pass wrap
// ErrUnavailable.
type Store interface {
	Get(ctx context.Context, ref Ref, key string) (any, bool, error)
	// Put stores value under key; ttl 0 keeps it until deleted.
	Put(ctx context.Context, ref Ref, key string, value any, ttl time.Duration) error
	Delete(ctx context.Context, ref Ref, key string) error
}

// Memory is an in-process Store for tests and single-process runs.
type Memory struct {
	mu  sync.Mutex
	m   map[Ref]map[string]memEntry
	now func() time.Time
}

type memEntry struct {
	v   any
	exp time.Time
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{m: map[Ref]map[string]memEntry{}, now: time.Now} }

// Get implements Store.
func (s *Memory) Get(_ context.Context, ref Ref, key string) (any, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[ref][key]
	if !ok || (!e.exp.IsZero() && !s.now().Before(e.exp)) {
		return nil, false, nil
	}
	return e.v, true, nil
}

// Put implements Store.
func (s *Memory) Put(_ context.Context, ref Ref, key string, v any, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[ref] == nil {
		s.m[ref] = map[string]memEntry{}
	}
	e := memEntry{v: v}
	if ttl > 0 {
		e.exp = s.now().Add(ttl)
	}
	s.m[ref][key] = e
	return nil
}

// Delete implements Store.
func (s *Memory) Delete(_ context.Context, ref Ref, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m[ref], key)
	return nil
}

// Bound is a scope reader for one turn: the enterprise, bot, user and
// conversation it reads for are fixed.
type Bound struct {
	Store                               Store
	Enterprise, Bot, User, Conversation string
}

// Ref returns the scope instance of kind for this turn.
func (b Bound) Ref(kind engine.ScopeKind) Ref {
	switch kind {
	case engine.ScopeEnterprise:
		return Ref{kind, b.Enterprise}
	case engine.ScopeBot:
		return Ref{kind, b.Bot}
	case engine.ScopeUserSession:
		return Ref{kind, b.User}
	default:
		return Ref{kind, b.Conversation}
	}
}

// Get implements engine.ScopeReader.
func (b Bound) Get(ctx context.Context, kind engine.ScopeKind, key string) (any, bool, error) {
	return b.Store.Get(ctx, b.Ref(kind), key)
}

// Apply performs a turn's scope writes in order.
func (b Bound) Apply(ctx context.Context, ops []engine.ScopeOp) error {
	for _, op := range ops {
		var err error
		if op.Delete {
			err = b.Store.Delete(ctx, b.Ref(op.Kind), op.Key)
		} else {
			err = b.Store.Put(ctx, b.Ref(op.Kind), op.Key, op.Value, op.TTL)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var _ engine.ScopeReader = Bound{}
