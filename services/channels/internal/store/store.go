// Package store is the write side of the channels registry: the records of
// parley.registry.v1 in a JetStream KV bucket, every write a compare-and-set
// on the key's revision, bot definition archives in an object store, and
// the sealing of secrets. Other services read what it writes through
// platform/registry's watched view.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// Errors of the store. Callers map them to their transport's codes.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrConflict is a failed compare-and-set: the record changed since the
	// revision the caller read.
	ErrConflict = errors.New("the record was changed concurrently")
)

// Who declared a record (the records' managed_by).
const (
	ManagedByAPI    = ""
	ManagedByConfig = "config"
)

// Config names the buckets.
type Config struct {
	// Registry and Bots are the full (prefixed) bucket names.
	Registry string
	Bots     string
	Replicas int
}

// Store holds the registry's records and bot archives.
type Store struct {
	KV   jetstream.KeyValue
	Objs jetstream.ObjectStore

	Apps      Table[*registryv1.AppRecord]
	Bots      Table[*registryv1.BotRecord]
	Instances Table[*registryv1.InstanceRecord]
}

// Open creates or updates the buckets; it is idempotent.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
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
		Apps:      Table[*registryv1.AppRecord]{kv: kv, prefix: registry.AppKeyPrefix, decode: registry.DecodeApp},
		Bots:      Table[*registryv1.BotRecord]{kv: kv, prefix: registry.BotKeyPrefix, decode: registry.DecodeBot},
		Instances: Table[*registryv1.InstanceRecord]{kv: kv, prefix: registry.InstanceKeyPrefix, decode: registry.DecodeInstance},
	}, nil
}

// Source is what a watched view of this store reads.
func (s *Store) Source() registry.Source {
	return registry.Source{Records: s.KV, Archives: s.Objs}
}
