package scopes

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// KV keeps the shared scopes in a JetStream KV bucket, so that replicas
// without Redis still share EnterpriseContext, BotContext and UserSession.
// Per-key TTLs need nats-server 2.11, so an entry carries its expiry and an
// expired entry reads as absent (and is deleted when met).
type KV struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// NewKV creates or opens the bucket.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley shared context scopes",
		History:     1,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("scopes bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv, now: time.Now}, nil
}

type kvEntry struct {
	Value     any   `json:"v"`
	ExpiresMS int64 `json:"exp,omitempty"`
}

var keyEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// key maps a scope entry to a KV key: ids and variable names may hold
// characters KV keys cannot, so both are hashed under a readable kind.
func (s *KV) key(ref Ref, key string) string {
	kind := map[engine.ScopeKind]string{
		engine.ScopeEnterprise: "ent", engine.ScopeBot: "bot", engine.ScopeUserSession: "us",
	}[ref.Kind]
	if kind == "" {
		kind = "bus"
	}
	id := sha256.Sum256([]byte(ref.ID))
	k := sha256.Sum256([]byte(key))
	return kind + "." + keyEnc.EncodeToString(id[:15]) + "." + keyEnc.EncodeToString(k[:15])
}

// Get implements Store.
func (s *KV) Get(ctx context.Context, ref Ref, key string) (any, bool, error) {
	e, err := s.kv.Get(ctx, s.key(ref, key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get scope %s: %w: %w", key, ErrUnavailable, err)
	}
	var ent kvEntry
	if err := json.Unmarshal(e.Value(), &ent); err != nil {
		return nil, false, fmt.Errorf("decode scope %s: %w", key, err)
	}
	if ent.ExpiresMS != 0 && s.now().UnixMilli() >= ent.ExpiresMS {
		// Delete only the revision read, so a newer put is never lost.
		_ = s.kv.Delete(ctx, s.key(ref, key), jetstream.LastRevision(e.Revision()))
		return nil, false, nil
	}
	return ent.Value, true, nil
}

// Put implements Store.
func (s *KV) Put(ctx context.Context, ref Ref, key string, v any, ttl time.Duration) error {
	ent := kvEntry{Value: v}
	if ttl > 0 {
		ent.ExpiresMS = s.now().Add(ttl).UnixMilli()
	}
	data, err := json.Marshal(ent)
	if err != nil {
		return fmt.Errorf("encode scope %s: %w", key, err)
	}
	if _, err := s.kv.Put(ctx, s.key(ref, key), data); err != nil {
		return fmt.Errorf("put scope %s: %w: %w", key, ErrUnavailable, err)
	}
	return nil
}

// Delete implements Store.
func (s *KV) Delete(ctx context.Context, ref Ref, key string) error {
	if err := s.kv.Delete(ctx, s.key(ref, key)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete scope %s: %w: %w", key, ErrUnavailable, err)
	}
	return nil
}

var _ Store = (*KV)(nil)
