package admin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/adminbus"
	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/registry"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/dispatcher"
)

const (
	cliViewerToken = "cli-viewer-token-012345"
	cliDevToken    = "cli-developer-token-0123"
	cliAdminToken  = "cli-bots-admin-token-0123"
	cliBot         = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
)

// fakeDLQ stands in for a dispatcher replica's DeadLetterAdmin, answering
// on the bus; the channels server forwards to it as the app wires it.
type fakeDLQ struct {
	dispatcherv1.UnimplementedDeadLetterAdminServer
	mu       sync.Mutex
	replayed []*dispatcherv1.Selector
	purged   []*dispatcherv1.Selector
}

func (f *fakeDLQ) List(context.Context, *dispatcherv1.ListDeadLettersRequest) (*dispatcherv1.ListDeadLettersResponse, error) {
	return &dispatcherv1.ListDeadLettersResponse{DeadLetters: []*dispatcherv1.DeadLetter{
		{Sequence: 7, MessageId: "ms-1", BotId: cliBot, Reason: "exhausted", LastStatusCode: 503},
	}}, nil
}

func (f *fakeDLQ) Replay(_ context.Context, r *dispatcherv1.ReplayRequest) (*dispatcherv1.ReplayResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replayed = append(f.replayed, r.GetSelector())
	return &dispatcherv1.ReplayResponse{Replayed: 1}, nil
}

func (f *fakeDLQ) Purge(_ context.Context, r *dispatcherv1.PurgeRequest) (*dispatcherv1.PurgeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.purged = append(f.purged, r.GetSelector())
	return &dispatcherv1.PurgeResponse{Purged: 1}, nil
}

func (f *fakeDLQ) selectors() (replayed, purged []*dispatcherv1.Selector) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.replayed), slices.Clone(f.purged)
}

func startChannels(t *testing.T, dlq *fakeDLQ) string {
	t.Helper()
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	replica, err := adminbus.Serve(conn.NC, conn.Cfg.Subject(bus.SubjectAdmin), "dispatcher", slog.New(slog.DiscardHandler),
		adminbus.Service{Desc: &dispatcherv1.DeadLetterAdmin_ServiceDesc, Impl: dlq})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Stop(context.Background()) })
	svc, err := channels.New(channels.Config{
		Listen: "127.0.0.1:0", Store: channels.StoreKV,
		MasterKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)),
		AdminTokens: []channels.AdminToken{
			{Token: cliViewerToken, Role: channels.RoleViewer},
			{Token: cliDevToken, Role: channels.RoleDeveloper},
			{Token: cliAdminToken, Role: channels.RoleBotsAdmin, Name: "ops"},
		},
	}, channels.Deps{
		Bus: conn, Logger: slog.New(slog.DiscardHandler),
		AdminServices: []adminauth.Service{dispatcher.AdminService(conn)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("the service stopped: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("channels not ready")
	}
	return svc.Addr().String()
}

type cli struct {
	t    *testing.T
	addr string
}

func (c cli) run(token string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--addr", c.addr, "--token", token)
	code := Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func (c cli) ok(token string, args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(token, args...)
	if code != 0 {
		c.t.Fatalf("parley admin %v: exit %d: %s", args, code, errOut)
	}
	return out
}

func TestAdminCLI(t *testing.T) {
	dlq := &fakeDLQ{}
	c := cli{t: t, addr: startChannels(t, dlq)}
	importBotDir(c)
	appID, secret := createApp(c)
	approveAndEnableInstance(c, appID)
	rotateSecrets(c, appID, secret)
	exportRoundTrip(c)
	manageDeadLetters(c, dlq)
	refuseWrongTokensAndUsage(c)
}

// importBotDir imports a bot from a directory and publishes it.
func importBotDir(c cli) {
	c.t.Helper()
	dir := c.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte("id: "+cliBot+"\nname: CLI Bot\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	out := c.ok(cliDevToken, "bots", "import", "--dir", dir, "--publish")
	if !strings.Contains(out, "stored as version 1") || !strings.Contains(out, "CLI Bot") {
		c.t.Fatalf("import output:\n%s", out)
	}
}

// createApp creates an app, as JSON for scripts, and returns its client id
// and secret: the secret is in the creation output only.
func createApp(c cli) (appID, secret string) {
	c.t.Helper()
	var created struct {
		App struct {
			ClientID string `json:"clientId"`
		} `json:"app"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := json.Unmarshal([]byte(c.ok(cliDevToken, "apps", "create", "--name", "Web", "--alg", "HS256,HS512", "--json")), &created); err != nil {
		c.t.Fatal(err)
	}
	if !registry.ValidClientID(created.App.ClientID) || len(created.ClientSecret) < 16 {
		c.t.Fatalf("created %+v", created)
	}
	appID = created.App.ClientID
	if out := c.ok(cliDevToken, "apps", "list"); !strings.Contains(out, appID) || strings.Contains(out, created.ClientSecret) ||
		!strings.HasPrefix(out, "CLIENT ID") {
		c.t.Fatalf("apps list:\n%s", out)
	}
	return appID, created.ClientSecret
}

// approveAndEnableInstance creates an instance, which a developer can
// neither approve nor enable before approval; a bots admin approves it.
func approveAndEnableInstance(c cli, appID string) {
	c.t.Helper()
	out := c.ok(cliDevToken, "instances", "create", "--bot", cliBot, "--id", "web-1", "--app", appID, "--mode", "async",
		"--post-url", "https://example.com/hook", "--signing-secret")
	if !strings.Contains(out, "awaiting approval") || !strings.Contains(out, "signing secret: whsec_") {
		c.t.Fatalf("instance create:\n%s", out)
	}

	// A developer cannot approve; the refusal says why, with exit 1.
	code, _, errOut := c.run(cliDevToken, "instances", "approve", "--bot", cliBot, "--id", "web-1")
	if code != 1 || !strings.Contains(errOut, "PermissionDenied") || !strings.Contains(errOut, "bots_admin") {
		c.t.Fatalf("developer approve: exit %d: %s", code, errOut)
	}
	code, _, errOut = c.run(cliDevToken, "instances", "enable", "--bot", cliBot, "--id", "web-1")
	if code != 1 || !strings.Contains(errOut, "FailedPrecondition") {
		c.t.Fatalf("enable before approval: exit %d: %s", code, errOut)
	}
	c.ok(cliAdminToken, "instances", "approve", "--bot", cliBot, "--id", "web-1", "--note", "checked")
	if out := c.ok(cliDevToken, "instances", "enable", "--bot", cliBot, "--id", "web-1"); !strings.Contains(out, "serving") {
		c.t.Fatalf("enable:\n%s", out)
	}
	if out := c.ok(cliDevToken, "instances", "list", "--bot", cliBot); !strings.Contains(out, "web-1") || !strings.Contains(out, "serving") {
		c.t.Fatalf("instances list:\n%s", out)
	}
}

// rotateSecrets rotates the app's client secret and the instance's signing
// secret.
func rotateSecrets(c cli, appID, oldSecret string) {
	c.t.Helper()
	out := c.ok(cliDevToken, "apps", "rotate", "--app", appID, "--overlap", "1h")
	if !strings.Contains(out, "new client secret: ") || strings.Contains(out, oldSecret) {
		c.t.Fatalf("rotate:\n%s", out)
	}
	if out := c.ok(cliDevToken, "instances", "rotate", "--bot", cliBot, "--id", "web-1"); !strings.Contains(out, "signing secret: whsec_") {
		c.t.Fatalf("signing rotate:\n%s", out)
	}
}

// exportRoundTrip exports the bot and imports the archive again.
func exportRoundTrip(c cli) {
	c.t.Helper()
	tgz := filepath.Join(c.t.TempDir(), "bot.tgz")
	c.ok(cliDevToken, "bots", "export", "--bot", cliBot, "--out", tgz)
	b, _ := os.ReadFile(tgz)
	files, err := registry.Unpack(b)
	if err != nil || !strings.Contains(string(files["bot.yaml"]), cliBot) {
		c.t.Fatalf("exported archive: %v", err)
	}
	if out := c.ok(cliDevToken, "bots", "import", "--file", tgz); !strings.Contains(out, "identical to existing version 1") {
		c.t.Fatalf("re-import:\n%s", out)
	}
}

// manageDeadLetters goes through the same address: a viewer lists, a
// developer replays and purges.
func manageDeadLetters(c cli, dlq *fakeDLQ) {
	c.t.Helper()
	if out := c.ok(cliViewerToken, "dlq", "list"); !strings.Contains(out, "ms-1") || !strings.Contains(out, "exhausted") {
		c.t.Fatalf("dlq list:\n%s", out)
	}
	if code, _, errOut := c.run(cliViewerToken, "dlq", "replay", "--seq", "7"); code != 1 || !strings.Contains(errOut, "PermissionDenied") {
		c.t.Fatalf("replay by a viewer: exit %d: %s", code, errOut)
	}
	c.ok(cliDevToken, "dlq", "replay", "--seq", "7")
	c.ok(cliDevToken, "dlq", "purge", "--message-id", "ms-1")
	if replayed, purged := dlq.selectors(); len(replayed) != 1 || replayed[0].GetSequence() != 7 || len(purged) != 1 || purged[0].GetMessageId() != "ms-1" {
		c.t.Fatalf("replayed %v, purged %v", replayed, purged)
	}
}

// refuseWrongTokensAndUsage: a wrong token, an unknown command, a missing
// selector and a missing token are refused with their exit codes.
func refuseWrongTokensAndUsage(c cli) {
	c.t.Helper()
	code, _, errOut := c.run("not-a-valid-token-000", "apps", "list")
	if code != 1 || !strings.Contains(errOut, "Unauthenticated") {
		c.t.Fatalf("wrong token: exit %d: %s", code, errOut)
	}
	if code, _, errOut = c.run(cliDevToken, "apps", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		c.t.Fatalf("unknown command: exit %d: %s", code, errOut)
	}
	if code, _, _ = c.run(cliDevToken, "dlq", "replay"); code != 2 {
		c.t.Fatalf("replay without selector: exit %d", code)
	}
	c.t.Setenv("PARLEY_ADMIN_TOKEN", "")
	var o, e bytes.Buffer
	if code := Run([]string{"apps", "list", "--addr", c.addr}, &o, &e); code != 2 || !strings.Contains(e.String(), "PARLEY_ADMIN_TOKEN") {
		c.t.Fatalf("no token: exit %d: %s", code, e.String())
	}
}
