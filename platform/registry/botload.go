package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// BotDefinition is the published version of a bot with its directory.
type BotDefinition struct {
	BotID   string
	Version int
	Digest  string
	Files   Files
	// Path is the directory the files were written to, "" without BotDir.
	Path string
}

// loadBot reads the published version of a bot, checks it against its
// recorded digest and, with BotDir, writes it out as a directory.
func (w *Watched) loadBot(ctx context.Context, rec *registryv1.BotRecord) (*BotDefinition, error) {
	pub := rec.GetPublishedVersion()
	meta, ok := FindBotVersion(rec, pub)
	if !ok {
		return nil, fmt.Errorf("version %d is not in the bot's version list", pub)
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	archive, err := w.src.Archives.GetBytes(lctx, BotObjectName(rec.GetId(), meta.GetDigest()))
	if err != nil {
		return nil, fmt.Errorf("read bot %s v%d archive: %w", rec.GetId(), pub, err)
	}
	files, err := Unpack(archive)
	if err != nil {
		return nil, err
	}
	if d := files.Digest(); d != meta.GetDigest() {
		return nil, fmt.Errorf("archive digest %s does not match the recorded %s", d, meta.GetDigest())
	}
	def := &BotDefinition{BotID: rec.GetId(), Version: int(pub), Digest: meta.GetDigest(), Files: files}
	if w.cfg.BotDir != "" {
		dir, err := materialize(w.cfg.BotDir, rec.GetId(), int(pub), files)
		if err != nil {
			return nil, err
		}
		def.Path = dir
	}
	return def, nil
}

// materialize writes a version's files to <root>/<bot>/v<N> through a
// temporary directory and a rename, so a loader never sees a partial tree.
// Versions are immutable, so an existing directory is reused.
func materialize(root, botID string, v int, files Files) (string, error) {
	dir := filepath.Join(root, botID, "v"+strconv.Itoa(v))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return "", fmt.Errorf("bot dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".v"+strconv.Itoa(v)+"-*")
	if err != nil {
		return "", fmt.Errorf("bot dir: %w", err)
	}
	if err := files.WriteDir(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("bot dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o640); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("bot dir: %w", err)
	}
	_ = os.RemoveAll(dir) // an incomplete leftover of a crash
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("bot dir: %w", err)
	}
	return dir, nil
}
