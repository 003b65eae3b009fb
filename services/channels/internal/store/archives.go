package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// PutBotArchive stores a bot archive under its files' digest.
func (s *Store) PutBotArchive(ctx context.Context, botID, digest string, archive []byte) error {
	if _, err := s.Objs.PutBytes(ctx, registry.BotObjectName(botID, digest), archive); err != nil {
		return fmt.Errorf("store bot %s archive: %w", botID, err)
	}
	return nil
}

// BotArchive reads a bot version's archive.
func (s *Store) BotArchive(ctx context.Context, botID string, v *registryv1.BotVersion) ([]byte, error) {
	b, err := s.Objs.GetBytes(ctx, registry.BotObjectName(botID, v.GetDigest()))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("bot %s version %d archive: %w", botID, v.GetVersion(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read bot %s v%d: %w", botID, v.GetVersion(), err)
	}
	return b, nil
}

// DeleteBotArchives removes every stored archive of a bot.
func (s *Store) DeleteBotArchives(ctx context.Context, rec *registryv1.BotRecord) error {
	var errs []error
	seen := map[string]bool{}
	for _, v := range rec.GetVersions() {
		if seen[v.GetDigest()] {
			continue
		}
		seen[v.GetDigest()] = true
		if err := s.Objs.Delete(ctx, registry.BotObjectName(rec.GetId(), v.GetDigest())); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
