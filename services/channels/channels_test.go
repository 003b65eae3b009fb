package channels_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// TestApprovalAndDisablePropagateToReplica: a replica's view (its own NATS
// connection) sees a new instance as not serving until a bots admin
// approves it and it is enabled, and stops serving it within a second of
// it being disabled or rejected. The ingress answers from exactly this view;
// cmd/parley/app checks the same steps at its webhook.
func TestApprovalAndDisablePropagateToReplica(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	replica := e.replicaView()
	e.setupChannel("ivrInst-1")
	ref := &channelsv1.InstanceRef{BotId: testBot, InstanceId: "ivrInst-1"}
	review := &channelsv1.ReviewRequest{BotId: testBot, InstanceId: "ivrInst-1", Note: "ok"}
	serving := func() (bool, bool) {
		in, ok := replica.Instance(testBot, "ivrInst-1")
		return in.Serving(), ok
	}

	within(t, time.Second, "new instance visible and not serving", func() bool { s, ok := serving(); return ok && !s })

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
	within(t, time.Second, "approval reached the replica", func() bool {
		in, _ := replica.Instance(testBot, "ivrInst-1")
		return in.Approved
	})
	if s, _ := serving(); s {
		t.Fatal("approved but not enabled: serving")
	}
	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "enabled instance serving", func() bool { s, _ := serving(); return s })

	if _, err := e.client.DisableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	took := within(t, time.Second, "disabled instance not serving", func() bool { s, _ := serving(); return !s })
	t.Logf("disable reached the replica in %v", took)

	if _, err := e.client.EnableWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "re-enabled", func() bool { s, _ := serving(); return s })
	if _, err := e.client.RejectWebhookInstance(e.admin, review); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "rejected instance not serving", func() bool { s, _ := serving(); return !s })
	_, err = e.client.EnableWebhookInstance(e.dev, ref)
	wantCode(t, err, codes.FailedPrecondition, "rejected")

	if _, err := e.client.DeleteWebhookInstance(e.dev, ref); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "deleted instance gone", func() bool { _, ok := serving(); return !ok })
}

// TestSecretRotationReachesReplica: during the overlap a replica's view
// holds the new client secret and the old one as retiring; after it, the
// new one alone.
func TestSecretRotationReachesReplica(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	replica := e.replicaView()
	appID, oldSecret := e.setupChannel("")

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
	within(t, time.Second, "new secret on the replica", func() bool {
		a, _ := replica.App(appID)
		return a.ClientSecret == newSecret
	})
	a, _ := replica.App(appID)
	if time.Since(rotated) >= overlap {
		t.Skip("the machine is too slow to observe the overlap")
	}
	if len(a.RetiringSecrets) != 1 || a.RetiringSecrets[0].Secret != oldSecret {
		t.Fatalf("during the overlap the replica has %d retiring secrets", len(a.RetiringSecrets))
	}
	within(t, overlap+time.Second, "old secret dropped after the overlap", func() bool {
		a, _ := replica.App(appID)
		return len(a.RetiringSecrets) == 0 && a.ClientSecret == newSecret
	})
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
