package admin

import (
	"context"
	"fmt"

	"github.com/goccy/go-yaml"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// CreateBot creates a bot without versions; id is generated when empty.
func (s *Service) CreateBot(ctx context.Context, id, name, managed string) (*registryv1.BotRecord, uint64, error) {
	if id == "" {
		id = NewBotID()
	} else if !registry.ValidBotID(id) {
		return nil, 0, argErr("bot.id", "%q is not st-<uuid>", id)
	}
	if name == "" || len(name) > maxName {
		return nil, 0, argErr("bot.name", "required, at most %d characters", maxName)
	}
	now := s.stamp()
	rec := &registryv1.BotRecord{Id: id, Name: name, ManagedBy: managed, CreateTime: now, UpdateTime: now}
	rev, err := s.Store.Bots.Create(ctx, registry.BotKey(id), rec)
	return rec, rev, err
}

// GetBot reads a bot.
func (s *Service) GetBot(ctx context.Context, id string) (*registryv1.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return nil, 0, argErr("id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Get(ctx, registry.BotKey(id))
}

// RenameBot changes a bot's name.
func (s *Service) RenameBot(ctx context.Context, id, name string, expected uint64) (*registryv1.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return nil, 0, argErr("bot.id", "%q is not st-<uuid>", id)
	}
	if name == "" || len(name) > maxName {
		return nil, 0, argErr("bot.name", "required, at most %d characters", maxName)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registryv1.BotRecord) error {
		if r.GetName() == name {
			return store.ErrUnchanged
		}
		r.Name, r.UpdateTime = name, s.stamp()
		return nil
	})
}

// DeleteBot deletes a bot without instances, with its versions.
func (s *Service) DeleteBot(ctx context.Context, id string, expected uint64) error {
	rec, _, err := s.GetBot(ctx, id)
	if err != nil {
		return err
	}
	insts, err := s.allInstances(ctx, id)
	if err != nil {
		return err
	}
	if len(insts) > 0 {
		return precondition("bot %s has %d webhook instance(s); delete them first", id, len(insts))
	}
	if err := s.Store.Bots.Delete(ctx, registry.BotKey(id), expected); err != nil {
		return err
	}
	return s.Store.DeleteBotArchives(ctx, rec)
}

// ListBots pages through the bots.
func (s *Service) ListBots(ctx context.Context, size int, token string) ([]store.Record[*registryv1.BotRecord], string, error) {
	if !s.Store.Bots.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Bots.Page(ctx, "", pageSize(size), token)
}

// ExportBot returns a version's archive (0: the published one).
func (s *Service) ExportBot(ctx context.Context, id string, version int32) ([]byte, *registryv1.BotVersion, error) {
	rec, _, err := s.GetBot(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if version == 0 {
		if rec.GetPublishedVersion() == 0 {
			return nil, nil, precondition("bot %s has no published version; name one", id)
		}
		version = rec.GetPublishedVersion()
	}
	meta, ok := registry.FindBotVersion(rec, version)
	if !ok {
		return nil, nil, fmt.Errorf("bot %s version %d: %w", id, version, store.ErrNotFound)
	}
	b, err := s.Store.BotArchive(ctx, id, meta)
	return b, meta, err
}

// PublishBotVersion makes version serve traffic. Every replica switches
// when its watch delivers the change.
func (s *Service) PublishBotVersion(ctx context.Context, id string, version int32, expected uint64) (*registryv1.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return nil, 0, argErr("bot_id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registryv1.BotRecord) error {
		if _, ok := registry.FindBotVersion(r, version); !ok {
			return fmt.Errorf("bot %s version %d: %w", id, version, store.ErrNotFound)
		}
		if r.GetPublishedVersion() == version {
			return store.ErrUnchanged
		}
		publishLocked(r, version)
		r.UpdateTime = s.stamp()
		return nil
	})
}

// RollbackBot re-publishes the version published before the current one.
func (s *Service) RollbackBot(ctx context.Context, id string, expected uint64) (*registryv1.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return nil, 0, argErr("bot_id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registryv1.BotRecord) error {
		hist := r.GetPublishHistory()
		if len(hist) == 0 {
			return precondition("bot %s has no earlier published version to roll back to", id)
		}
		r.PublishedVersion, r.PublishHistory = hist[len(hist)-1], hist[:len(hist)-1]
		r.UpdateTime = s.stamp()
		return nil
	})
}

// publishHistoryLimit bounds how many earlier versions a rollback can reach.
const publishHistoryLimit = 50

// publishLocked makes v the published version, remembering the previous
// one for a rollback; r is being updated.
func publishLocked(r *registryv1.BotRecord, v int32) {
	if r.GetPublishedVersion() != 0 {
		r.PublishHistory = append(r.PublishHistory, r.GetPublishedVersion())
		if len(r.PublishHistory) > publishHistoryLimit {
			r.PublishHistory = r.PublishHistory[len(r.PublishHistory)-publishHistoryLimit:]
		}
	}
	r.PublishedVersion = v
}

// latestVersion is the highest stored version, 0 when there is none.
func latestVersion(r *registryv1.BotRecord) int32 {
	var n int32
	for _, x := range r.GetVersions() {
		n = max(n, x.GetVersion())
	}
	return n
}

// botHeader is what the registry reads of bot.yaml.
type botHeader struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// parseBotHeader reads bot.yaml of a bot directory.
func parseBotHeader(files registry.Files) (botHeader, error) {
	var hdr botHeader
	raw, ok := files["bot.yaml"]
	if !ok {
		return hdr, argErr("archive", "no bot.yaml at the top of the bot directory")
	}
	if err := yaml.Unmarshal(raw, &hdr); err != nil {
		return hdr, argErr("archive", "bot.yaml does not parse: %v", err)
	}
	return hdr, nil
}
