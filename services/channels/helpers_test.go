package channels_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels"

	"github.com/parleyhq/parley/platform/polltest"
)

const (
	viewerToken = "viewer-token-0123456789"
	devToken    = "developer-token-0123456789"
	adminToken  = "bots-admin-token-0123456789"
	testBot     = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
)

var masterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

// env is a running channels service on a real JetStream server, with a
// watched view of its own, and a client per role.
type env struct {
	t      *testing.T
	srv    *bustest.Server
	busCfg bus.Config
	cfg    channels.Config
	view   *registry.Watched
	client channelsv1.ChannelAdminClient
	conn   *grpc.ClientConn
	dev    context.Context
	admin  context.Context
	log    *slog.Logger
}

func botDir(t *testing.T, id, greeting string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("bot.yaml", fmt.Sprintf("format: parley.bot/v1\nid: %s\nname: Test Bot\nmessages:\n  greeting: %q\n", id, greeting))
	write("tasks/hello.yaml", "name: hello\n")
	return dir
}

func startEnv(t *testing.T, bootstrap registry.Config) *env {
	t.Helper()
	e := &env{t: t, srv: bustest.RunJetStream(t), log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	e.busCfg = e.srv.Config(t)
	e.cfg = channels.Config{
		Listen: "127.0.0.1:0", Store: channels.StoreKV, MasterKey: masterKey, SecretOverlap: time.Hour,
		AdminTokens: []channels.AdminToken{
			{Token: viewerToken, Role: channels.RoleViewer, Name: "vera"},
			{Token: devToken, Role: channels.RoleDeveloper, Name: "dev"},
			{Token: adminToken, Role: channels.RoleBotsAdmin, Name: "alice"},
		},
	}
	conn := bustest.Connect(t, e.busCfg)
	view, err := channels.OpenRegistry(t.Context(), conn, e.cfg, bootstrap, t.TempDir(), e.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(view.Close)
	e.view = view
	svc, err := channels.New(e.cfg, channels.Deps{Bus: conn, Bootstrap: bootstrap, View: view, Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("channels: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("channels stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("channels not ready")
	}
	cc, err := grpc.NewClient(svc.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	e.conn = cc
	e.client = channelsv1.NewChannelAdminClient(cc)
	e.dev = metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+devToken)
	e.admin = metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+adminToken)
	return e
}

// replicaView opens another view on its own connection, as a replica in
// another process would.
func (e *env) replicaView() *registry.Watched {
	e.t.Helper()
	conn := bustest.Connect(e.t, e.busCfg)
	v, err := channels.OpenRegistry(e.t.Context(), conn, e.cfg, registry.Config{}, e.t.TempDir(), e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(v.Close)
	return v
}

// within polls cond until it holds, failing the test after d, and returns
// how long it took: the tests report how fast a change reaches a replica.
func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	polltest.Until(t, what, d, cond)
	return time.Since(start)
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("err = %v, want %v", err, code)
	}
	if msgPart != "" && !bytes.Contains([]byte(st.Message()), []byte(msgPart)) {
		t.Fatalf("message %q does not mention %q", st.Message(), msgPart)
	}
}

// setupChannel creates a bot (through the bootstrap), an HS256 app and an
// async instance through the API, and returns the app's id and secret.
func (e *env) setupChannel(instanceID string) (string, string) {
	e.t.Helper()
	app, err := e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{
		Name: "App", Algorithms: []channelsv1.Algorithm{channelsv1.Algorithm_ALGORITHM_HS256},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.client.CreateWebhookInstance(e.dev, &channelsv1.CreateWebhookInstanceRequest{Instance: &channelsv1.WebhookInstance{
		BotId: testBot, InstanceId: instanceID, Name: "hook", AppClientId: app.GetApp().GetClientId(),
		Mode: channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC, PostUrl: "http://127.0.0.1:9/replies",
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return app.GetApp().GetClientId(), app.GetClientSecret()
}

func bootstrapWithBot(t *testing.T) registry.Config {
	return registry.Config{Bots: []registry.Bot{{ID: testBot, Name: "Test Bot", Path: botDir(t, testBot, "hello v1")}}}
}
