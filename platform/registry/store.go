package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket base names; the bus prefix is prepended by the caller.
const (
	// RegistryBucket is the KV bucket of app, bot and instance records.
	RegistryBucket = "parley_registry"
	// BotsBucket is the object store of bot definition archives.
	BotsBucket = "parley_bots"
)

// Errors of the store. Callers map them to their transport's codes.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrConflict is a failed compare-and-set: the record changed since the
	// revision the caller read.
	ErrConflict = errors.New("the record was changed concurrently")
)

// StoreConfig names the buckets.
type StoreConfig struct {
	// Registry and Bots are the full (prefixed) bucket names.
	Registry string
	Bots     string
	Replicas int
}

// Store is the writer side of the KV registry: records with optimistic
// concurrency (every write is a compare-and-set on the key's revision) and
// bot definition archives.
type Store struct {
	KV   jetstream.KeyValue
	Objs jetstream.ObjectStore

	Apps      Table[AppRecord]
	Bots      Table[BotRecord]
	Instances Table[InstanceRecord]
}

// OpenStore creates or updates the buckets; it is idempotent.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig) (*Store, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Registry,
		Description: "Parley registry: apps, bots, webhook channel instances",
		History:     5,
		Replicas:    cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("registry bucket %s: %w", cfg.Registry, err)
	}
	objs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Bots,
		Description: "Parley bot definitions (tar.gz per version)",
		Replicas:    cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("bot bucket %s: %w", cfg.Bots, err)
	}
	return &Store{
		KV: kv, Objs: objs,
		Apps:      Table[AppRecord]{kv: kv, prefix: appKeyPrefix},
		Bots:      Table[BotRecord]{kv: kv, prefix: botKeyPrefix},
		Instances: Table[InstanceRecord]{kv: kv, prefix: instKeyPrefix},
	}, nil
}

// Table is one record type of the registry bucket.
type Table[T any] struct {
	kv     jetstream.KeyValue
	prefix string
}

// Get returns the record at key and its revision.
func (t Table[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	var rec T
	e, err := t.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return rec, 0, fmt.Errorf("%s: %w", describeKey(key), ErrNotFound)
	}
	if err != nil {
		return rec, 0, fmt.Errorf("get %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return rec, 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return rec, e.Revision(), nil
}

// Create stores a new record; ErrExists if the key holds one.
func (t Table[T]) Create(ctx context.Context, key string, rec T) (uint64, error) {
	b, err := json.Marshal(rec)
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
func (t Table[T]) Update(ctx context.Context, key string, expected uint64, fn func(*T) error) (T, uint64, error) {
	for range maxCASAttempts {
		rec, rev, err := t.Get(ctx, key)
		if err != nil {
			return rec, 0, err
		}
		if expected != 0 && rev != expected {
			return rec, rev, fmt.Errorf("%s is at revision %d, not %d: %w", describeKey(key), rev, expected, ErrConflict)
		}
		if err := fn(&rec); errors.Is(err, ErrUnchanged) {
			return rec, rev, nil
		} else if err != nil {
			return rec, rev, err
		}
		b, err := json.Marshal(rec)
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
	return *new(T), 0, fmt.Errorf("%s: %d concurrent changes in a row: %w", key, maxCASAttempts, ErrConflict)
}

// describeKey names a record for error messages: "app cs-…",
// "bot st-…", `instance "x" of bot st-…`.
func describeKey(key string) string {
	if botID, inst, ok := parseInstanceKey(key); ok {
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
func (t Table[T]) Delete(ctx context.Context, key string, expected uint64) error {
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
func (t Table[T]) Keys(ctx context.Context, sub string) ([]string, error) {
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

// Record is a record with its revision.
type Record[T any] struct {
	Key      string
	Value    T
	Revision uint64
}

// Page lists up to size records under sub after the key pageToken (an
// opaque token: the last key of the previous page), and the next token.
func (t Table[T]) Page(ctx context.Context, sub string, size int, pageToken string) ([]Record[T], string, error) {
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
	var out []Record[T]
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
		out = append(out, Record[T]{Key: keys[i], Value: rec, Revision: rev})
	}
	return out, next, nil
}

// ValidPageToken reports whether tok could be a token of this table.
func (t Table[T]) ValidPageToken(tok string) bool {
	return tok == "" || (strings.HasPrefix(tok, t.prefix) && len(tok) < 300)
}

// BotObjectName is the object holding a bot archive. Archives are named by
// their content digest: immutable, shared by versions with equal content,
// and safe against two importers racing for the same version number.
func BotObjectName(botID, digest string) string {
	return botID + "/" + strings.TrimPrefix(digest, "sha256:") + ".tar.gz"
}

// PutBotArchive stores a bot archive under its files' digest.
func (s *Store) PutBotArchive(ctx context.Context, botID, digest string, archive []byte) error {
	if _, err := s.Objs.PutBytes(ctx, BotObjectName(botID, digest), archive); err != nil {
		return fmt.Errorf("store bot %s archive: %w", botID, err)
	}
	return nil
}

// BotArchive reads a bot version's archive.
func (s *Store) BotArchive(ctx context.Context, botID string, v BotVersion) ([]byte, error) {
	b, err := s.Objs.GetBytes(ctx, BotObjectName(botID, v.Digest))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("bot %s version %d archive: %w", botID, v.Version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read bot %s v%d: %w", botID, v.Version, err)
	}
	return b, nil
}

// DeleteBotArchives removes every stored archive of a bot.
func (s *Store) DeleteBotArchives(ctx context.Context, rec BotRecord) error {
	var errs []error
	seen := map[string]bool{}
	for _, v := range rec.Versions {
		if seen[v.Digest] {
			continue
		}
		seen[v.Digest] = true
		if err := s.Objs.Delete(ctx, BotObjectName(rec.ID, v.Digest)); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
