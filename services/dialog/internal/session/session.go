// Package session defines how the dialog service stores conversation state:
// one record per (bot, user), written with a compare-and-set on its version
// and fenced by the stream sequence of the turn that produced it.
package session

import (
	"context"
	"errors"
	"time"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
)

// Record is a stored session with the version it was read at. Version 0 and
// a nil Session mean there is none yet. A loaded Session is shared (a cache
// may hand the same one to the next load): callers clone it before changing
// it, and must not change a Session after saving it.
type Record struct {
	Version uint64
	Session *dialogv1.Session
}

// LastSequence is the fencing token of the record (0 when new).
func (r Record) LastSequence() uint64 {
	if r.Session == nil {
		return 0
	}
	return r.Session.LastTurnSequence
}

var (
	// ErrConflict means another writer changed the record since it was read:
	// re-read and run the turn again.
	ErrConflict = errors.New("session changed concurrently")
	// ErrStale means the record already holds this turn or a later one: the
	// turn was applied before and must not be applied again.
	ErrStale = errors.New("turn already applied")
)

// Store loads and saves sessions. Implementations must make Save atomic:
// it succeeds only if the stored version still equals prev.Version and the
// next record's LastTurnSequence is greater than the stored one; it returns
// the version the record now has.
type Store interface {
	Load(ctx context.Context, convKey string) (Record, error)
	Save(ctx context.Context, convKey string, prev Record, next *dialogv1.Session, ttl time.Duration) (uint64, error)
}
