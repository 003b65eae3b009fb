package registry_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

const (
	bot = "st-22222222-2222-5222-8222-222222222222"
	app = "cs-11111111-1111-4111-8111-111111111111"
)

// openSource creates the registry's buckets on a fresh JetStream server,
// as the channels service would.
func openSource(t *testing.T) registry.Source {
	t.Helper()
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	kv, err := conn.JS.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: cfg.Name(registry.RegistryBucket)})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := conn.JS.CreateObjectStore(t.Context(), jetstream.ObjectStoreConfig{Bucket: cfg.Name(registry.BotsBucket)})
	if err != nil {
		t.Fatal(err)
	}
	return registry.Source{Records: kv, Archives: objs}
}

func sealer(t *testing.T) *registry.Sealer {
	s, err := registry.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seal(t *testing.T, s *registry.Sealer, plaintext, aad string) string {
	t.Helper()
	sealed, err := s.Seal(plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// TestWatchedFollowsAndExpires: the view applies puts and deletes, and
// drops a retiring signing secret once its deadline passes without any
// write.
func TestWatchedFollowsAndExpires(t *testing.T) {
	src := openSource(t)
	sl := sealer(t)
	w, err := registry.NewWatched(t.Context(), src, registry.WatchedConfig{Sealer: sl, RetryEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	aad := registry.SigningSecretAAD(bot, "")
	cur := seal(t, sl, "whsec_Y3VycmVudC1zZWNyZXQtMDEyMzQ1", aad)
	old := seal(t, sl, "whsec_b2xkLXNlY3JldC0wMTIzNDU2Nzg5", aad)
	value, err := registry.Encode(&registryv1.InstanceRecord{
		BotId: bot, AppClientId: app, Mode: registryv1.Mode_MODE_SYNC, Enabled: true, Approved: true,
		SigningSecrets: []*registryv1.SealedSecret{{Sealed: cur}, {Sealed: old, Until: timestamppb.New(time.Now().Add(300 * time.Millisecond))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := src.Records.Create(t.Context(), registry.InstanceKey(bot, ""), value)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WaitRevision(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	in, ok := w.Instance(bot, "")
	if !ok || !in.Serving() || len(in.SigningSecrets) != 2 {
		t.Fatalf("instance %v %v, %d secrets", ok, in.Serving(), len(in.SigningSecrets))
	}
	deadline := time.Now().Add(2 * time.Second)
	polltest.Until(t, "the retiring secret to be dropped after its deadline", time.Until(deadline), func() bool {
		in, _ = w.Instance(bot, "")
		return len(in.SigningSecrets) == 1
	})
	if err := src.Records.Delete(t.Context(), registry.InstanceKey(bot, "")); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the deleted instance to leave the view", time.Until(deadline.Add(time.Second)), func() bool {
		_, ok := w.Instance(bot, "")
		return !ok
	})
}

func tarGz(t *testing.T, entries ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		body := []byte("x")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write(body)
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestUnpack(t *testing.T) {
	tests := []struct {
		name    string
		archive []byte
		wantErr bool
		want    string // a path that must exist
	}{
		{"top directory stripped", tarGz(t, tar.Header{Name: "mybot/bot.yaml", Typeflag: tar.TypeReg}, tar.Header{Name: "mybot/tasks/a.yaml", Typeflag: tar.TypeReg}), false, "tasks/a.yaml"},
		{"flat", tarGz(t, tar.Header{Name: "./bot.yaml", Typeflag: tar.TypeReg}), false, "bot.yaml"},
		{"parent escape", tarGz(t, tar.Header{Name: "../evil", Typeflag: tar.TypeReg}), true, ""},
		{"absolute", tarGz(t, tar.Header{Name: "/etc/evil", Typeflag: tar.TypeReg}), true, ""},
		{"symlink", tarGz(t, tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), true, ""},
		{"not gzip", []byte("plain"), true, ""},
		{"empty", tarGz(t), true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := registry.Unpack(tc.archive)
			if tc.wantErr {
				if !errors.Is(err, registry.ErrBadArchive) {
					t.Fatalf("err = %v, want ErrBadArchive", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := files[tc.want]; !ok {
				t.Fatalf("files %v lack %s", files, tc.want)
			}
		})
	}
}

func TestPackIsDeterministic(t *testing.T) {
	f := registry.Files{"bot.yaml": []byte("id: x"), "tasks/a.yaml": []byte("a")}
	a, _ := f.Pack()
	b, _ := registry.Files{"tasks/a.yaml": []byte("a"), "bot.yaml": []byte("id: x")}.Pack()
	if !bytes.Equal(a, b) {
		t.Fatal("the same files packed differently")
	}
	back, err := registry.Unpack(a)
	if err != nil || back.Digest() != f.Digest() {
		t.Fatalf("round trip: %v", err)
	}
}
