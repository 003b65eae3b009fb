package app_test

// These tests change the channels registry through the admin API of one
// Parley process and watch the webhook of another: the ingress there reads
// its own view of the registry, on its own NATS connection, as a replica in
// another pod would.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/ingress"
)

const (
	devToken   = "developer-token-0123456789"
	adminToken = "bots-admin-token-0123456789"
	testBot    = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
)

var masterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

// registryEnv is a channels process with a client per role, and the base
// URL of an ingress process on the same NATS server.
type registryEnv struct {
	t      *testing.T
	client channelsv1.ChannelAdminClient
	dev    context.Context
	admin  context.Context
	base   string
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

// startRegistryEnv runs the channels target and the ingress target as two
// processes over the KV registry, bootstrapped with one bot.
func startRegistryEnv(t *testing.T) *registryEnv {
	t.Helper()
	srv := bustest.RunJetStream(t)
	var cfg app.Config
	cfg.NATS.Config = srv.Config(t)
	cfg.Log = logx.Config{Level: "error", Format: "text"}
	cfg.Ingress.Listen = "127.0.0.1:0"
	// The tests poll faster than the default per-user rate limit allows.
	cfg.Ingress.RateLimit.PerUser = 10000
	cfg.Ingress.RateLimit.PerUserBurst = 10000
	cfg.Channels = channels.Config{
		Listen: "127.0.0.1:0", Store: channels.StoreKV, MasterKey: masterKey, SecretOverlap: time.Hour,
		AdminTokens: []channels.AdminToken{
			{Token: devToken, Role: channels.RoleDeveloper, Name: "dev"},
			{Token: adminToken, Role: channels.RoleBotsAdmin, Name: "alice"},
		},
	}
	cfg.Registry = registry.Config{Bots: []registry.Bot{{ID: testBot, Name: "Test Bot", Path: botDir(t, testBot, "hello v1")}}}

	admin := runTarget(t, cfg, app.Channels).(*channels.Service)
	webhook := runTarget(t, cfg, app.Ingress).(*ingress.Service)
	cc, err := grpc.NewClient(admin.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return &registryEnv{
		t: t, client: channelsv1.NewChannelAdminClient(cc), base: "http://" + webhook.Addr().String(),
		dev:   metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+devToken),
		admin: metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+adminToken),
	}
}

// runTarget runs one target in a process of its own until the test ends,
// and returns its service once it is ready.
func runTarget(t *testing.T, cfg app.Config, target string) run.Service {
	t.Helper()
	cfg.DataDir = t.TempDir() // each process materializes bots in its own directory
	a, err := app.New(cfg, logx.Discard())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var svc run.Service
	started := make(chan struct{})
	a.Started = func(name string, s run.Service) {
		if name != target {
			return
		}
		mu.Lock()
		svc = s
		mu.Unlock()
		close(started)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, []string{target}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("parley stopped: %v", err)
		}
	})
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("%s stopped: %v", target, err)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s not started", target)
	}
	mu.Lock()
	defer mu.Unlock()
	ready := svc.(interface{ Ready() <-chan struct{} }).Ready()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("%s stopped: %v", target, err)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s not ready", target)
	}
	return svc
}

// postHi sends one V1 webhook message and returns the status code.
func postHi(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewBufferString(`{"message":{"text":"hi"},"from":{"id":"u1"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func hs256(t *testing.T, app, secret string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"appId": app, "sub": "u1"}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("err = %v, want %v", err, code)
	}
	if msgPart != "" && !strings.Contains(st.Message(), msgPart) {
		t.Fatalf("message %q does not mention %q", st.Message(), msgPart)
	}
}

// setupChannel creates an HS256 app and an async instance of the bot
// through the API, and returns the app's id and secret.
func (e *registryEnv) setupChannel(instanceID string) (string, string) {
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

func (e *registryEnv) serve(instanceID string) {
	e.t.Helper()
	if _, err := e.client.ApproveWebhookInstance(e.admin, &channelsv1.ReviewRequest{BotId: testBot, InstanceId: instanceID}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.client.EnableWebhookInstance(e.dev, &channelsv1.InstanceRef{BotId: testBot, InstanceId: instanceID}); err != nil {
		e.t.Fatal(err)
	}
}

// TestApprovalAndDisablePropagateToIngress runs the real ingress on a
// replica view (its own NATS connection): a new instance answers 403 until
// a bots admin approves it and it is enabled, 200 then, and 403 again
// within a second of being disabled or rejected.
func TestApprovalAndDisablePropagateToIngress(t *testing.T) {
	e := startRegistryEnv(t)
	appID, secret := e.setupChannel("ivrInst-1")
	url := e.base + "/chatbot/hooks/" + testBot + "/hookInstance/ivrInst-1"
	tok := hs256(t, appID, secret)
	ref := &channelsv1.InstanceRef{BotId: testBot, InstanceId: "ivrInst-1"}
	review := &channelsv1.ReviewRequest{BotId: testBot, InstanceId: "ivrInst-1", Note: "ok"}

	within(t, time.Second, "new instance visible and refused", func() bool { return postHi(t, url, tok) == 403 })

	_, err := e.client.EnableWebhookInstance(e.dev, ref)
	wantCode(t, err, codes.FailedPrecondition, "not approved")
	_, err = e.client.ApproveWebhookInstance(e.dev, review)
	wantCode(t, err, codes.PermissionDenied, "bots_admin")

	inst, err := e.client.ApproveWebhookInstance(e.admin, review)
	if err != nil {
		t.Fatal(err)
	}
	if !inst.GetApproved() || inst.GetEnabled() || inst.GetReviewedBy() != "alice" {
		t.Fatalf("after approval: %+v", inst)
	}
	if code := postHi(t, url, tok); code != 403 {
		t.Fatalf("approved but not enabled: %d, want 403", code)
	}
	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "enabled instance serving", func() bool { return postHi(t, url, tok) == 200 })

	if _, err := e.client.DisableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	took := within(t, time.Second, "disabled instance refused", func() bool { return postHi(t, url, tok) == 403 })
	t.Logf("disable reached the ingress replica in %v", took)

	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "re-enabled", func() bool { return postHi(t, url, tok) == 200 })
	if _, err := e.client.RejectWebhookInstance(e.admin, review); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "rejected instance refused", func() bool { return postHi(t, url, tok) == 403 })
	_, err = e.client.EnableWebhookInstance(e.dev, ref)
	wantCode(t, err, codes.FailedPrecondition, "rejected")

	if _, err := e.client.DeleteWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "deleted instance unknown", func() bool { return postHi(t, url, tok) == 404 })
}

// TestSecretRotationOverlap: during the overlap tokens signed with the old
// and the new client secret are both accepted; after it only the new one.
func TestSecretRotationOverlap(t *testing.T) {
	e := startRegistryEnv(t)
	appID, oldSecret := e.setupChannel("")
	e.serve("")
	url := e.base + "/chatbot/hooks/" + testBot
	oldTok := hs256(t, appID, oldSecret)
	within(t, time.Second, "serving", func() bool { return postHi(t, url, oldTok) == 200 })

	const overlap = 1500 * time.Millisecond
	rot, err := e.client.RotateAppSecret(e.dev, &channelsv1.RotateAppSecretRequest{ClientId: appID, Overlap: durationpb.New(overlap)})
	if err != nil {
		t.Fatal(err)
	}
	rotated := time.Now()
	newSecret := rot.GetClientSecret()
	if newSecret == "" || newSecret == oldSecret || len(rot.GetApp().GetRetiringSecretsUntil()) != 1 {
		t.Fatalf("rotation: secret %q, retiring %v", newSecret, rot.GetApp().GetRetiringSecretsUntil())
	}
	newTok := hs256(t, appID, newSecret)
	within(t, time.Second, "new secret accepted", func() bool { return postHi(t, url, newTok) == 200 })
	if code := postHi(t, url, oldTok); code != 200 {
		t.Fatalf("old secret during the overlap: %d", code)
	}
	if time.Since(rotated) >= overlap {
		t.Skip("the machine is too slow to observe the overlap")
	}
	within(t, overlap+time.Second, "old secret refused after the overlap", func() bool { return postHi(t, url, oldTok) == 401 })
	if code := postHi(t, url, newTok); code != 200 {
		t.Fatalf("new secret after the overlap: %d", code)
	}
	// Secrets are shown once: reads never carry them.
	got, err := e.client.GetApp(e.dev, &channelsv1.GetAppRequest{ClientId: appID})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), newSecret) {
		t.Fatal("GetApp returned the secret")
	}
}

func pemPublic(t *testing.T, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// jwk is the public JWK the admin API publishes for an app's JWE key.
type jwk struct {
	Kty string `json:"kty"`
	E   string `json:"e"`
	N   string `json:"n"`
	Kid string `json:"kid"`
}

func jwkPublic(t *testing.T, k jwk) *rsa.PublicKey {
	t.Helper()
	dec := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	return &rsa.PublicKey{N: dec(k.N), E: int(dec(k.E).Int64())}
}

// TestRS256AndJWEThroughTheRegistry: an RS256 app registered through the
// API verifies with its public key; with Enforce JWE on, tokens encrypted to
// the published JWK pass and plain ones get 401.
func TestRS256AndJWEThroughTheRegistry(t *testing.T) {
	e := startRegistryEnv(t)
	clientKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	app, err := e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{
		Name: "RSA app", Algorithms: []channelsv1.Algorithm{channelsv1.Algorithm_ALGORITHM_RS256}, PublicKeyPem: pemPublic(t, clientKey),
	}})
	if err != nil {
		t.Fatal(err)
	}
	appID := app.GetApp().GetClientId()
	if _, err := e.client.CreateWebhookInstance(e.dev, &channelsv1.CreateWebhookInstanceRequest{Instance: &channelsv1.WebhookInstance{
		BotId: testBot, AppClientId: appID, Mode: channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC, PostUrl: "http://127.0.0.1:9/r",
	}}); err != nil {
		t.Fatal(err)
	}
	e.serve("")
	url := e.base + "/chatbot/hooks/" + testBot
	rs := func(k *rsa.PrivateKey) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"appId": appID, "sub": "u1"}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	within(t, time.Second, "RS256 accepted", func() bool { return postHi(t, url, rs(clientKey)) == 200 })
	if code := postHi(t, url, rs(otherKey)); code != 401 {
		t.Fatalf("RS256 signed with another key: %d", code)
	}

	// Enforce JWE: the client encrypts to the JWK the API publishes.
	a := app.GetApp()
	a.EnforceJwe = true
	updated, err := e.client.UpdateApp(e.dev, &channelsv1.UpdateAppRequest{App: a, ExpectedRevision: a.GetRevision()})
	if err != nil {
		t.Fatal(err)
	}
	var key jwk
	if err := json.Unmarshal([]byte(updated.GetJwePublicJwk()), &key); err != nil || key.Kty != "RSA" || key.Kid == "" {
		t.Fatalf("JWK %q: %v", updated.GetJwePublicJwk(), err)
	}
	pub := jwkPublic(t, key)
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: pub, KeyID: key.Kid},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(rs(clientKey)))
	if err != nil {
		t.Fatal(err)
	}
	jweTok, _ := obj.CompactSerialize()
	within(t, time.Second, "plain JWS refused once JWE is enforced", func() bool { return postHi(t, url, rs(clientKey)) == 401 })
	if code := postHi(t, url, jweTok); code != 200 {
		t.Fatalf("JWE token: %d", code)
	}

	// A stale revision is refused rather than overwriting the change.
	_, err = e.client.UpdateApp(e.dev, &channelsv1.UpdateAppRequest{App: a, ExpectedRevision: a.GetRevision()})
	wantCode(t, err, codes.Aborted, "revision")

	// After a key rotation the old JWK no longer decrypts.
	if _, err := e.client.RotateJWEKey(e.dev, &channelsv1.RotateJWEKeyRequest{ClientId: appID}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "JWE to the old key refused", func() bool { return postHi(t, url, jweTok) == 401 })
}
