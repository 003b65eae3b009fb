// Package kvstore keeps sessions in a JetStream KV bucket, so that the
// one-binary mode needs nothing but the embedded NATS server. The bucket's
// revision is the record version and KV Update is the compare-and-set.
package kvstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Store is a session.Store on JetStream KV.
type Store struct {
	kv jetstream.KeyValue
}

// Open creates or opens the bucket. JetStream KV expires whole buckets, not
// keys (per-key TTLs need nats-server 2.11), so maxTTL, the longest session
// lifetime, becomes the bucket's MaxAge: a session untouched for that long
// disappears.
func Open(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, maxTTL time.Duration) (*Store, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley dialog sessions",
		TTL:         maxTTL,
		History:     1,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("session bucket %s: %w", bucket, err)
	}
	return &Store{kv: kv}, nil
}

func key(convKey string) string { return "sess." + convKey }

// Load reads a session.
func (s *Store) Load(ctx context.Context, convKey string) (session.Record, error) {
	e, err := s.kv.Get(ctx, key(convKey))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return session.Record{}, nil
	}
	if err != nil {
		return session.Record{}, fmt.Errorf("load session %s: %w", convKey, err)
	}
	var sess dialogv1.Session
	if err := proto.Unmarshal(e.Value(), &sess); err != nil {
		return session.Record{}, fmt.Errorf("load session %s: decode: %w", convKey, err)
	}
	return session.Record{Version: e.Revision(), Session: &sess}, nil
}

// Save writes next if the key is still at prev's revision. The fencing
// check compares with prev, which the revision check proves is what is
// stored.
func (s *Store) Save(ctx context.Context, convKey string, prev session.Record, next *dialogv1.Session, _ time.Duration) (uint64, error) {
	if next.LastTurnSequence <= prev.LastSequence() {
		return 0, session.ErrStale
	}
	data, err := proto.Marshal(next)
	if err != nil {
		return 0, fmt.Errorf("save session %s: encode: %w", convKey, err)
	}
	var rev uint64
	if prev.Version == 0 {
		rev, err = s.kv.Create(ctx, key(convKey), data)
	} else {
		rev, err = s.kv.Update(ctx, key(convKey), data, prev.Version)
	}
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return rev, nil
	case errors.Is(err, jetstream.ErrKeyExists),
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
		return 0, session.ErrConflict
	}
	return 0, fmt.Errorf("save session %s: %w", convKey, err)
}

var _ session.Store = (*Store)(nil)
