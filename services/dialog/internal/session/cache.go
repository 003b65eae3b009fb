package session

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
)

// Cached keeps the sessions this replica wrote last, so that the next turn
// of a conversation skips the read: with one owner per partition, almost
// every load is of a record this replica saved itself. It is safe because
// every save is a compare-and-set: a stale entry (the partition moved away
// and back, the record changed elsewhere) fails its save with ErrConflict,
// is dropped, and the processor reads the store again. Entries expire after
// ttl so a long-idle entry is never trusted.
type Cached struct {
	inner Store
	lru   *expirable.LRU[string, Record]
}

// NewCached wraps inner with a cache of at most size records kept for ttl.
func NewCached(inner Store, size int, ttl time.Duration) *Cached {
	return &Cached{inner: inner, lru: expirable.NewLRU[string, Record](size, nil, ttl)}
}

// Load returns the cached record, or reads the store.
func (c *Cached) Load(ctx context.Context, convKey string) (Record, error) {
	if rec, ok := c.lru.Get(convKey); ok {
		return rec, nil // shared: see Record
	}
	return c.inner.Load(ctx, convKey)
}

// Save writes through and caches the saved record; a refused save drops
// the entry so that the retry reads the store.
func (c *Cached) Save(ctx context.Context, convKey string, prev Record, next *dialogv1.Session, ttl time.Duration) (uint64, error) {
	v, err := c.inner.Save(ctx, convKey, prev, next, ttl)
	switch {
	case err == nil:
		c.lru.Add(convKey, Record{Version: v, Session: next})
	case errors.Is(err, ErrConflict), errors.Is(err, ErrStale):
		c.lru.Remove(convKey)
	default:
		// The outcome is unknown (a timeout may hide a success): do not
		// trust the cache for this conversation.
		c.lru.Remove(convKey)
	}
	return v, err
}

var _ Store = (*Cached)(nil)
