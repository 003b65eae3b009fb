package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/registry"
)

// Table is one record type of the registry bucket.
type Table[R proto.Message] struct {
	kv     jetstream.KeyValue
	prefix string
	decode func([]byte) (R, error)
}

// Get returns the record at key and its revision.
func (t Table[R]) Get(ctx context.Context, key string) (R, uint64, error) {
	var zero R
	e, err := t.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return zero, 0, fmt.Errorf("%s: %w", describeKey(key), ErrNotFound)
	}
	if err != nil {
		return zero, 0, fmt.Errorf("get %s: %w", key, err)
	}
	rec, err := t.decode(e.Value())
	if err != nil {
		return zero, 0, fmt.Errorf("%s: %w", key, err)
	}
	return rec, e.Revision(), nil
}

// Create stores a new record; ErrExists if the key holds one.
func (t Table[R]) Create(ctx context.Context, key string, rec R) (uint64, error) {
	b, err := registry.Encode(rec)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := t.kv.Create(ctx, key, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%s: %w", describeKey(key), ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	return rev, nil
}

// maxCASAttempts bounds the retries of an unconditional Update.
const maxCASAttempts = 10

// ErrUnchanged, returned by an Update function, skips the write.
var ErrUnchanged = errors.New("unchanged")

// Update applies fn to the record at key and writes it back with a
// compare-and-set. With expected != 0 the write is conditional on that
// revision (ErrConflict otherwise); with 0 a concurrent change makes it
// re-read and re-apply fn. If fn returns ErrUnchanged nothing is written and
// the current record is returned.
func (t Table[R]) Update(ctx context.Context, key string, expected uint64, fn func(R) error) (R, uint64, error) {
	var zero R
	for range maxCASAttempts {
		rec, rev, err := t.Get(ctx, key)
		if err != nil {
			return zero, 0, err
		}
		if expected != 0 && rev != expected {
			return rec, rev, fmt.Errorf("%s is at revision %d, not %d: %w", describeKey(key), rev, expected, ErrConflict)
		}
		if err := fn(rec); errors.Is(err, ErrUnchanged) {
			return rec, rev, nil
		} else if err != nil {
			return rec, rev, err
		}
		b, err := registry.Encode(rec)
		if err != nil {
			return rec, 0, fmt.Errorf("encode %s: %w", key, err)
		}
		nrev, err := t.kv.Update(ctx, key, b, rev)
		if err == nil {
			return rec, nrev, nil
		}
		if !isWrongSequence(err) {
			return rec, 0, fmt.Errorf("update %s: %w", key, err)
		}
		if expected != 0 {
			return rec, 0, fmt.Errorf("%s: %w", describeKey(key), ErrConflict)
		}
	}
	return zero, 0, fmt.Errorf("%s: %d concurrent changes in a row: %w", key, maxCASAttempts, ErrConflict)
}

// describeKey names a record for error messages: "app cs-…",
// "bot st-…", `instance "x" of bot st-…`.
func describeKey(key string) string {
	if botID, inst, ok := registry.ParseInstanceKey(key); ok {
		return fmt.Sprintf("instance %q of bot %s", inst, botID)
	}
	kind, id, _ := strings.Cut(key, ".")
	return kind + " " + id
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Delete removes the record; with expected != 0 only at that revision.
func (t Table[R]) Delete(ctx context.Context, key string, expected uint64) error {
	if _, rev, err := t.Get(ctx, key); err != nil {
		return err
	} else if expected != 0 && rev != expected {
		return fmt.Errorf("%s is at revision %d, not %d: %w", describeKey(key), rev, expected, ErrConflict)
	} else {
		expected = rev
	}
	if err := t.kv.Delete(ctx, key, jetstream.LastRevision(expected)); err != nil {
		if isWrongSequence(err) {
			return fmt.Errorf("%s: %w", describeKey(key), ErrConflict)
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Keys lists the keys of this table under sub (e.g. a bot id for
// instances; "" for all), sorted.
func (t Table[R]) Keys(ctx context.Context, sub string) ([]string, error) {
	filter := t.prefix + ">"
	if sub != "" {
		filter = t.prefix + sub + ".>"
	}
	kl, err := t.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", filter, err)
	}
	var keys []string
	for k := range kl.Keys() {
		keys = append(keys, k)
	}
	// The lister stops its watcher itself once the keys are drained; a
	// second Stop only reports the subscription as gone.
	_ = kl.Stop()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", filter, err)
	}
	slices.Sort(keys)
	return keys, nil
}

// Record is a record with its key and revision.
type Record[R proto.Message] struct {
	Key      string
	Value    R
	Revision uint64
}

// Page lists up to size records under sub after the key pageToken (an
// opaque token: the last key of the previous page), and the next token.
func (t Table[R]) Page(ctx context.Context, sub string, size int, pageToken string) ([]Record[R], string, error) {
	keys, err := t.Keys(ctx, sub)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if pageToken != "" {
		start, _ = slices.BinarySearch(keys, pageToken)
		if start < len(keys) && keys[start] == pageToken {
			start++
		}
	}
	var out []Record[R]
	next := ""
	for i := start; i < len(keys); i++ {
		if len(out) == size {
			next = out[len(out)-1].Key
			break
		}
		rec, rev, err := t.Get(ctx, keys[i])
		if errors.Is(err, ErrNotFound) {
			continue // deleted between the listing and the read
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, Record[R]{Key: keys[i], Value: rec, Revision: rev})
	}
	return out, next, nil
}

// ValidPageToken reports whether tok could be a token of this table.
func (t Table[R]) ValidPageToken(tok string) bool {
	return tok == "" || (strings.HasPrefix(tok, t.prefix) && len(tok) < 300)
}
