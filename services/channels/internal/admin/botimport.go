package admin

import (
	"context"
	"errors"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// ImportResult is what an import did.
type ImportResult struct {
	// Bot is the bot record after the import, at Revision.
	Bot      *registryv1.BotRecord
	Revision uint64
	// Version is the version holding the archive's files.
	Version int32
	// NewVersion is false when the files equal an existing version, which
	// is reused.
	NewVersion bool
}

// ImportBot stores a bot directory (tar.gz) as a new version of botID (the
// id in bot.yaml when empty), creating the bot if needed; an archive equal
// to an existing version reuses it. With publish the version serves at once.
func (s *Service) ImportBot(ctx context.Context, botID string, archive []byte, publish bool, note, managed string) (ImportResult, error) {
	files, err := registry.Unpack(archive)
	if err != nil {
		return ImportResult{}, argErr("archive", "%v", err)
	}
	return s.importFiles(ctx, botID, files, publish, note, managed)
}

func (s *Service) importFiles(ctx context.Context, botID string, files registry.Files, publish bool, note, managed string) (ImportResult, error) {
	hdr, err := parseBotHeader(files)
	if err != nil {
		return ImportResult{}, err
	}
	if botID == "" {
		botID = hdr.ID
	}
	if !registry.ValidBotID(botID) {
		return ImportResult{}, argErr("bot_id", "%q is not st-<uuid>", botID)
	}
	if hdr.ID != botID {
		return ImportResult{}, argErr("archive", "bot.yaml declares id %q, not %s", hdr.ID, botID)
	}
	if len(note) > maxName {
		return ImportResult{}, argErr("note", "at most %d characters", maxName)
	}
	if err := s.ensureBot(ctx, botID, cmpOr(hdr.Name, botID), managed); err != nil {
		return ImportResult{}, err
	}
	packed, err := files.Pack()
	if err != nil {
		return ImportResult{}, err
	}
	digest := files.Digest()
	// The archive goes first: a version is recorded only once its content
	// is stored, so a published version always loads.
	if err := s.Store.PutBotArchive(ctx, botID, digest, packed); err != nil {
		return ImportResult{}, err
	}
	meta := &registryv1.BotVersion{Digest: digest, SizeBytes: int64(len(packed)), Files: int32(len(files)), Note: note}
	return s.addVersion(ctx, botID, meta, publish)
}

// ensureBot creates the bot unless it exists.
func (s *Service) ensureBot(ctx context.Context, botID, name, managed string) error {
	_, _, err := s.Store.Bots.Get(ctx, registry.BotKey(botID))
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, _, err := s.CreateBot(ctx, botID, name, managed); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// addVersion records meta as the next version of the bot, or reuses the
// version with the same digest, and publishes it when asked.
func (s *Service) addVersion(ctx context.Context, botID string, meta *registryv1.BotVersion, publish bool) (ImportResult, error) {
	var res ImportResult
	rec, rev, err := s.Store.Bots.Update(ctx, registry.BotKey(botID), 0, func(r *registryv1.BotRecord) error {
		res.Version, res.NewVersion = 0, false
		for _, v := range r.GetVersions() {
			if v.GetDigest() == meta.GetDigest() {
				res.Version = v.GetVersion()
			}
		}
		if res.Version == 0 {
			res.Version, res.NewVersion = latestVersion(r)+1, true
			v := &registryv1.BotVersion{
				Version: res.Version, Digest: meta.GetDigest(), SizeBytes: meta.GetSizeBytes(), Files: meta.GetFiles(),
				CreateTime: s.stamp(), Note: meta.GetNote(),
			}
			r.Versions = append(r.Versions, v)
		}
		changed := res.NewVersion
		if publish && r.GetPublishedVersion() != res.Version {
			publishLocked(r, res.Version)
			changed = true
		}
		if !changed {
			return store.ErrUnchanged
		}
		r.UpdateTime = s.stamp()
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	res.Bot, res.Revision = rec, rev
	return res, nil
}
