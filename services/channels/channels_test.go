package channels_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// TestApprovalAndDisablePropagateToIngress runs the real ingress on a
// replica view (its own NATS connection): a new instance answers 403 until
// a bots admin approves it and it is enabled, 200 then, and 403 again
// within a second of being disabled or rejected.
func TestApprovalAndDisablePropagateToIngress(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	base := e.startIngress(e.replicaView())
	appID, secret := e.setupChannel("ivrInst-1")
	url := base + "/chatbot/hooks/" + testBot + "/hookInstance/ivrInst-1"
	tok := hs256(t, appID, secret)
	ref := &channelsv1.InstanceRef{BotId: testBot, InstanceId: "ivrInst-1"}
	review := &channelsv1.ReviewRequest{BotId: testBot, InstanceId: "ivrInst-1", Note: "ok"}

	within(t, time.Second, "new instance visible and refused", func() bool { return post(t, url, tok) == 403 })

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
	if code := post(t, url, tok); code != 403 {
		t.Fatalf("approved but not enabled: %d, want 403", code)
	}
	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "enabled instance serving", func() bool { return post(t, url, tok) == 200 })

	if _, err := e.client.DisableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	took := within(t, time.Second, "disabled instance refused", func() bool { return post(t, url, tok) == 403 })
	t.Logf("disable reached the ingress replica in %v", took)

	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "re-enabled", func() bool { return post(t, url, tok) == 200 })
	if _, err := e.client.RejectWebhookInstance(e.admin, review); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "rejected instance refused", func() bool { return post(t, url, tok) == 403 })
	_, err = e.client.EnableWebhookInstance(e.dev, ref)
	wantCode(t, err, codes.FailedPrecondition, "rejected")

	if _, err := e.client.DeleteWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "deleted instance unknown", func() bool { return post(t, url, tok) == 404 })
}

func serve(t *testing.T, e *env, instanceID string) {
	t.Helper()
	if _, err := e.client.ApproveWebhookInstance(e.admin, &channelsv1.ReviewRequest{BotId: testBot, InstanceId: instanceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.EnableWebhookInstance(e.dev, &channelsv1.InstanceRef{BotId: testBot, InstanceId: instanceID}); err != nil {
		t.Fatal(err)
	}
}

// TestSecretRotationOverlap: during the overlap tokens signed with the old
// and the new client secret are both accepted; after it only the new one.
func TestSecretRotationOverlap(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	base := e.startIngress(e.replicaView())
	appID, oldSecret := e.setupChannel("")
	serve(t, e, "")
	url := base + "/chatbot/hooks/" + testBot
	oldTok := hs256(t, appID, oldSecret)
	within(t, time.Second, "serving", func() bool { return post(t, url, oldTok) == 200 })

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
	within(t, time.Second, "new secret accepted", func() bool { return post(t, url, newTok) == 200 })
	if code := post(t, url, oldTok); code != 200 {
		t.Fatalf("old secret during the overlap: %d", code)
	}
	if time.Since(rotated) >= overlap {
		t.Skip("the machine is too slow to observe the overlap")
	}
	within(t, overlap+time.Second, "old secret refused after the overlap", func() bool { return post(t, url, oldTok) == 401 })
	if code := post(t, url, newTok); code != 200 {
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

// TestSigningSecretRotation: both signing secrets are handed to the
// dispatcher during the overlap, the new one first.
func TestSigningSecretRotation(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	e.setupChannel("")
	first, err := e.client.RotateSigningSecret(e.dev, &channelsv1.RotateSigningSecretRequest{BotId: testBot, Overlap: durationpb.New(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.client.RotateSigningSecret(e.dev, &channelsv1.RotateSigningSecretRequest{BotId: testBot, Overlap: durationpb.New(0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(second.GetSigningSecret(), "whsec_") {
		t.Fatalf("secret %q is not a Standard Webhooks secret", second.GetSigningSecret())
	}
	in, _ := e.view.Instance(testBot, "")
	if len(in.SigningSecrets) != 1 || in.SigningSecrets[0] != second.GetSigningSecret() {
		t.Fatalf("overlap 0 should revoke the previous secret at once; view has %d secrets", len(in.SigningSecrets))
	}
	third, err := e.client.RotateSigningSecret(e.dev, &channelsv1.RotateSigningSecretRequest{BotId: testBot})
	if err != nil {
		t.Fatal(err)
	}
	in, _ = e.view.Instance(testBot, "")
	if len(in.SigningSecrets) != 2 || in.SigningSecrets[0] != third.GetSigningSecret() || in.SigningSecrets[1] != second.GetSigningSecret() {
		t.Fatalf("during the default overlap: %d secrets", len(in.SigningSecrets))
	}
	if third.GetInstance().GetSigningSecrets() != 2 || first.GetSigningSecret() == "" {
		t.Fatalf("instance reports %d signing secrets", third.GetInstance().GetSigningSecrets())
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

// TestRS256AndJWEThroughTheRegistry: an RS256 app registered through the
// API verifies with its public key; with Enforce JWE on, tokens encrypted to
// the published JWK pass and plain ones get 401.
func TestRS256AndJWEThroughTheRegistry(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	base := e.startIngress(e.replicaView())
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
	serve(t, e, "")
	url := base + "/chatbot/hooks/" + testBot
	rs := func(k *rsa.PrivateKey) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"appId": appID, "sub": "u1"}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	within(t, time.Second, "RS256 accepted", func() bool { return post(t, url, rs(clientKey)) == 200 })
	if code := post(t, url, rs(otherKey)); code != 401 {
		t.Fatalf("RS256 signed with another key: %d", code)
	}

	// Enforce JWE: the client encrypts to the JWK the API publishes.
	a := app.GetApp()
	a.EnforceJwe = true
	updated, err := e.client.UpdateApp(e.dev, &channelsv1.UpdateAppRequest{App: a, ExpectedRevision: a.GetRevision()})
	if err != nil {
		t.Fatal(err)
	}
	var jwk registry.JWK
	if err := json.Unmarshal([]byte(updated.GetJwePublicJwk()), &jwk); err != nil || jwk.Kty != "RSA" || jwk.Kid == "" {
		t.Fatalf("JWK %q: %v", updated.GetJwePublicJwk(), err)
	}
	pub := jwkPublic(t, jwk)
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: pub, KeyID: jwk.Kid},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(rs(clientKey)))
	if err != nil {
		t.Fatal(err)
	}
	jweTok, _ := obj.CompactSerialize()
	within(t, time.Second, "plain JWS refused once JWE is enforced", func() bool { return post(t, url, rs(clientKey)) == 401 })
	if code := post(t, url, jweTok); code != 200 {
		t.Fatalf("JWE token: %d", code)
	}

	// A stale revision is refused rather than overwriting the change.
	_, err = e.client.UpdateApp(e.dev, &channelsv1.UpdateAppRequest{App: a, ExpectedRevision: a.GetRevision()})
	wantCode(t, err, codes.Aborted, "revision")

	// After a key rotation the old JWK no longer decrypts.
	if _, err := e.client.RotateJWEKey(e.dev, &channelsv1.RotateJWEKeyRequest{ClientId: appID}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "JWE to the old key refused", func() bool { return post(t, url, jweTok) == 401 })
}

func jwkPublic(t *testing.T, k registry.JWK) *rsa.PublicKey {
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

// TestAdminRefusals: each refusal has the right code and says what was
// wrong.
func TestAdminRefusals(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	list := &channelsv1.ListAppsRequest{}
	_, err := e.client.ListApps(t.Context(), list)
	wantCode(t, err, codes.Unauthenticated, "authorization")
	_, err = e.client.ListApps(metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer wrong-token-0123456789"), list)
	wantCode(t, err, codes.Unauthenticated, "not valid")
	_, err = e.client.ListApps(metadata.AppendToOutgoingContext(t.Context(), "authorization", "Basic "+devToken), list)
	wantCode(t, err, codes.Unauthenticated, "Bearer")

	_, err = e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{Name: "x"}})
	wantCode(t, err, codes.InvalidArgument, "app.algorithms")
	_, err = e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{Name: "x",
		Algorithms: []channelsv1.Algorithm{channelsv1.Algorithm_ALGORITHM_RS512}}})
	wantCode(t, err, codes.InvalidArgument, "app.public_key_pem")
	_, err = e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{Name: "x",
		Algorithms: []channelsv1.Algorithm{channelsv1.Algorithm_ALGORITHM_HS256}}, ClientSecret: "short"})
	wantCode(t, err, codes.InvalidArgument, "client_secret")
	_, err = e.client.GetApp(e.dev, &channelsv1.GetAppRequest{ClientId: "cs-00000000-0000-4000-8000-000000000000"})
	wantCode(t, err, codes.NotFound, "cs-00000000-0000-4000-8000-000000000000")
	appID, _ := e.setupChannel("")
	_, err = e.client.CreateWebhookInstance(e.dev, &channelsv1.CreateWebhookInstanceRequest{Instance: &channelsv1.WebhookInstance{
		BotId: testBot, InstanceId: "x", AppClientId: appID, Mode: channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC}})
	wantCode(t, err, codes.InvalidArgument, "instance.post_url")
	_, err = e.client.CreateWebhookInstance(e.dev, &channelsv1.CreateWebhookInstanceRequest{Instance: &channelsv1.WebhookInstance{
		BotId: testBot, AppClientId: appID, Mode: channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC}})
	wantCode(t, err, codes.AlreadyExists, "")
	_, err = e.client.CreateWebhookInstance(e.dev, &channelsv1.CreateWebhookInstanceRequest{Instance: &channelsv1.WebhookInstance{
		BotId: "st-00000000-0000-5000-8000-000000000000", AppClientId: appID, Mode: channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC}})
	wantCode(t, err, codes.NotFound, "bot st-00000000")
	_, err = e.client.DeleteApp(e.dev, &channelsv1.DeleteAppRequest{ClientId: appID})
	wantCode(t, err, codes.FailedPrecondition, "used by instance")
	_, err = e.client.RejectWebhookInstance(e.dev, &channelsv1.ReviewRequest{BotId: testBot})
	wantCode(t, err, codes.PermissionDenied, "RejectWebhookInstance")
	_, err = e.client.ListApps(e.dev, &channelsv1.ListAppsRequest{PageToken: "bogus"})
	wantCode(t, err, codes.InvalidArgument, "page_token")
}

// TestPaging walks a list page by page.
func TestPaging(t *testing.T) {
	e := startEnv(t, registry.Config{})
	for range 5 {
		if _, err := e.client.CreateApp(e.dev, &channelsv1.CreateAppRequest{App: &channelsv1.App{
			Name: "a", Algorithms: []channelsv1.Algorithm{channelsv1.Algorithm_ALGORITHM_HS256}}}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	tok, pages := "", 0
	for {
		resp, err := e.client.ListApps(e.dev, &channelsv1.ListAppsRequest{PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range resp.GetApps() {
			if seen[a.GetClientId()] {
				t.Fatalf("app %s listed twice", a.GetClientId())
			}
			seen[a.GetClientId()] = true
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("%d apps in %d pages, want 5 in 3", len(seen), pages)
	}
}
