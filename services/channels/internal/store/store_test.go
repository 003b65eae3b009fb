package store_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

const app = "cs-11111111-1111-4111-8111-111111111111"

func openStore(t *testing.T) *store.Store {
	t.Helper()
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	s, err := store.Open(t.Context(), conn.JS, store.Config{Registry: cfg.Name(registry.RegistryBucket), Bots: cfg.Name(registry.BotsBucket)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUpdateCompareAndSet: a write at a stale revision is refused.
func TestUpdateCompareAndSet(t *testing.T) {
	s := openStore(t)
	key := registry.AppKey(app)
	rev, err := s.Apps.Create(t.Context(), key, &registryv1.AppRecord{ClientId: app, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apps.Create(t.Context(), key, &registryv1.AppRecord{ClientId: app}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, _, err := s.Apps.Update(t.Context(), key, rev, func(r *registryv1.AppRecord) error { r.Name = "b"; return nil }); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Apps.Update(t.Context(), key, rev, func(r *registryv1.AppRecord) error { r.Name = "c"; return nil })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	got, _, _ := s.Apps.Get(t.Context(), key)
	if got.GetName() != "b" {
		t.Fatalf("name %q: the stale write went through", got.GetName())
	}
	if err := s.Apps.Delete(t.Context(), key, rev); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
}

// TestRecordsAreProtobuf: the bucket holds the record as protobuf.
func TestRecordsAreProtobuf(t *testing.T) {
	s := openStore(t)
	key := registry.AppKey(app)
	want := &registryv1.AppRecord{ClientId: app, Name: "a", Algorithms: []string{registry.HS256}}
	if _, err := s.Apps.Create(t.Context(), key, want); err != nil {
		t.Fatal(err)
	}
	e, err := s.KV.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	var got registryv1.AppRecord
	if err := proto.Unmarshal(e.Value(), &got); err != nil || !proto.Equal(&got, want) {
		t.Fatalf("stored %v, %v", &got, err)
	}
}
