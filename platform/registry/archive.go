package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Limits of a bot definition archive. A bot is YAML and a few assets; the
// limits stop an archive from filling a disk or memory when unpacked.
const (
	MaxBotArchiveBytes = 16 << 20
	MaxBotFiles        = 2000
	maxBotUnpacked     = 64 << 20
)

// Files is a bot directory: slash-separated relative paths to contents.
type Files map[string][]byte

// Digest is the sha256 of the files' paths and contents, independent of
// archive metadata, so the same directory always has the same digest.
func (f Files) Digest() string {
	h := sha256.New()
	for _, p := range f.paths() {
		fmt.Fprintf(h, "%d:%s\x00%d:", len(p), p, len(f[p]))
		h.Write(f[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Size is the total size of the contents.
func (f Files) Size() int64 {
	var n int64
	for _, b := range f {
		n += int64(len(b))
	}
	return n
}

func (f Files) paths() []string {
	ps := make([]string, 0, len(f))
	for p := range f {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// ReadDir reads the regular files under dir, skipping hidden entries.
func ReadDir(dir string) (Files, error) {
	files := Files{}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		total += int64(len(b))
		if len(files) >= MaxBotFiles || total > maxBotUnpacked {
			return fmt.Errorf("bot directory %s is over %d files or %d bytes", dir, MaxBotFiles, maxBotUnpacked)
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read bot directory: %w", err)
	}
	return files, nil
}

// Pack writes the files as a deterministic tar.gz (sorted, no timestamps).
func (f Files) Pack() ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, p := range f.paths() {
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(f[p])), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p, err)
		}
		if _, err := tw.Write(f[p]); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrBadArchive wraps every reason an archive is refused.
var ErrBadArchive = errors.New("invalid bot archive")

// Unpack reads a tar.gz of a bot directory. Entries that would escape the
// directory, links and devices are refused; a single top-level directory
// holding everything (as `tar czf bot.tgz mybot/` makes) is stripped.
func Unpack(archive []byte) (Files, error) {
	if len(archive) > MaxBotArchiveBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadArchive, len(archive), MaxBotArchiveBytes)
	}
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %w", ErrBadArchive, err)
	}
	tr := tar.NewReader(io.LimitReader(gz, maxBotUnpacked+1))
	files := Files{}
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadArchive, err)
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadArchive, h.Name)
		}
		name := path.Clean(strings.TrimPrefix(filepath.ToSlash(h.Name), "./"))
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "\x00") {
			return nil, fmt.Errorf("%w: %q leaves the bot directory", ErrBadArchive, h.Name)
		}
		total += h.Size
		if len(files) >= MaxBotFiles || total > maxBotUnpacked {
			return nil, fmt.Errorf("%w: over %d files or %d bytes unpacked", ErrBadArchive, MaxBotFiles, maxBotUnpacked)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadArchive, name, err)
		}
		files[name] = b
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files", ErrBadArchive)
	}
	return stripTopDir(files), nil
}

func stripTopDir(files Files) Files {
	if _, ok := files["bot.yaml"]; ok {
		return files
	}
	top := ""
	for p := range files {
		dir, _, ok := strings.Cut(p, "/")
		if !ok || (top != "" && dir != top) {
			return files
		}
		top = dir
	}
	out := Files{}
	for p, b := range files {
		out[strings.TrimPrefix(p, top+"/")] = b
	}
	return out
}

// WriteDir writes the files under dir (created if needed), each through a
// temporary file and a rename, so a reader never sees half a file.
func (f Files) WriteDir(dir string) error {
	for _, p := range f.paths() {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if !strings.HasPrefix(dst, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%w: %q leaves the bot directory", ErrBadArchive, p)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(f[p])
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			_ = os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}
