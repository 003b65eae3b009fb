package admin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

const (
	bootBot = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
	bootApp = "cs-6a0b8b86-3c57-4f0e-9d5a-2b1f0c9e7d41"
)

func newService(t *testing.T) *Service {
	t.Helper()
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	st, err := store.Open(t.Context(), conn.JS, store.Config{
		Registry: cfg.Name(registry.RegistryBucket), Bots: cfg.Name(registry.BotsBucket)})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := store.NewSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Sealer: sealer, Overlap: time.Hour}
}

func bootConfig(t *testing.T) registry.Config {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte("id: "+bootBot+"\nname: Boot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return registry.Config{
		Apps: []registry.App{{ClientID: bootApp, Name: "Sample", ClientSecret: "sample-secret-for-tests", Algorithms: []string{registry.HS256}}},
		Bots: []registry.Bot{{ID: bootBot, Name: "Boot", Path: dir}},
		Instances: []registry.Instance{{BotID: bootBot, Name: "Webhook", App: bootApp, Mode: registry.ModeSync, Enabled: true, Approved: true,
			SigningSecrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}},
	}
}

// TestBootstrapIdempotent: the config's registry is applied through the
// admin operations; applying it again writes nothing; changing a secret in
// the config is a rotation.
func TestBootstrapIdempotent(t *testing.T) {
	s := newService(t)
	cfg := bootConfig(t)
	got, err := s.Bootstrap(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Created != 3 {
		t.Fatalf("first run: %+v, want 3 created", got)
	}
	in, _, err := s.GetInstance(t.Context(), bootBot, "")
	if err != nil || !in.GetApproved() || !in.GetEnabled() || in.GetReviewedBy() != string(ConfigPrincipal) {
		t.Fatalf("instance: %+v %v", in, err)
	}
	before := revisionOf(t, s)
	got, err = s.Bootstrap(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got != (Applied{}) || revisionOf(t, s) != before {
		t.Fatalf("second run changed %+v (bucket %d -> %d)", got, before, revisionOf(t, s))
	}

	cfg.Apps[0].ClientSecret = "rotated-secret-for-tests"
	cfg.Instances[0].Enabled = false
	if got, err = s.Bootstrap(t.Context(), cfg); err != nil || got.Updated != 2 {
		t.Fatalf("changed config: %+v %v", got, err)
	}
	rec, _, _ := s.GetApp(t.Context(), bootApp)
	app, err := s.Sealer.OpenApp(rec, time.Now())
	if err != nil || app.ClientSecret != "rotated-secret-for-tests" || len(app.RetiringSecrets) != 1 || app.RetiringSecrets[0].Secret != "sample-secret-for-tests" {
		t.Fatalf("rotation through the config: %v", err)
	}
	in, _, _ = s.GetInstance(t.Context(), bootBot, "")
	if in.GetEnabled() || !in.GetApproved() {
		t.Fatalf("instance after disabling in the config: enabled %v approved %v", in.GetEnabled(), in.GetApproved())
	}
}

// revisionOf is the bucket's last revision: any write moves it.
func revisionOf(t *testing.T, s *Service) uint64 {
	t.Helper()
	var last uint64
	for _, key := range []string{registry.AppKey(bootApp), registry.BotKey(bootBot), registry.InstanceKey(bootBot, "")} {
		e, err := s.Store.KV.Get(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, e.Revision())
	}
	return last
}

// TestSecretsSealedAtRest: the stored records hold no plaintext secret, and
// another master key cannot open them.
func TestSecretsSealedAtRest(t *testing.T) {
	s := newService(t)
	cfg := bootConfig(t)
	if _, err := s.Bootstrap(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{registry.AppKey(bootApp), registry.InstanceKey(bootBot, "")} {
		e, err := s.Store.KV.Get(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(e.Value())
		for _, secret := range []string{"sample-secret-for-tests", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "PRIVATE KEY"} {
			if strings.Contains(raw, secret) {
				t.Fatalf("%s stores %q in clear", key, secret)
			}
		}
	}
	rec, _, _ := s.GetApp(t.Context(), bootApp)
	other, _ := registry.NewSealer(bytes.Repeat([]byte{2}, 32))
	if _, err := other.OpenApp(rec, time.Now()); !errors.Is(err, registry.ErrSealed) {
		t.Fatalf("another master key: %v", err)
	}
	// A sealed value moved to another record does not open either.
	moved := proto.CloneOf(rec)
	moved.ClientId = "cs-00000000-0000-4000-8000-000000000000"
	if _, err := s.Sealer.OpenApp(moved, time.Now()); !errors.Is(err, registry.ErrSealed) {
		t.Fatalf("moved secret: %v", err)
	}
}

// TestConcurrentBootstrap: several processes applying the same config at
// once all succeed and leave one version of the bot.
func TestConcurrentBootstrap(t *testing.T) {
	s := newService(t)
	cfg := bootConfig(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			_, err := s.Bootstrap(ctx, cfg)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	bot, _, err := s.GetBot(t.Context(), bootBot)
	if err != nil || len(bot.GetVersions()) != 1 || bot.GetPublishedVersion() != 1 {
		t.Fatalf("bot after concurrent bootstraps: %+v %v", bot, err)
	}
}
