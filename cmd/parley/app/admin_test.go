package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/cli/admin"
	"github.com/parleyhq/parley/platform/polltest"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	"github.com/parleyhq/parley/services/channels"
)

const (
	viewerAdminToken    = "viewer-admin-token-0123"
	developerAdminToken = "developer-admin-token-0123"
)

// parleyAdmin runs `parley admin args... --addr addr --token token`.
func parleyAdmin(addr, token string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := admin.Run(append(args, "--addr", addr, "--token", token), &out, &errOut)
	return code, out.String(), errOut.String()
}

// `parley admin dlq list|replay` reach the dispatcher at the one admin
// address, channels.listen, whether the dispatcher runs in the same process
// (the one binary) or in another (a split deployment); that address refuses
// every dispatcher admin service without a token.
func TestAdminDeadLettersAtTheOneEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name      string
		processes [][]string
	}{
		{"one binary", [][]string{{All}}},
		{"split", [][]string{{Channels}, {Ingress, Dialog, Dispatcher}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, busCfg := newServer(t)
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
			}))
			t.Cleanup(refusing.Close)
			cfg := asyncConfig(t, testConfig(t, busCfg), refusing.URL, "channel-token", testSigningSecret)
			cfg.Channels.AdminTokens = []channels.AdminToken{
				{Token: viewerAdminToken, Role: channels.RoleViewer, Name: "vera"},
				{Token: developerAdminToken, Role: channels.RoleDeveloper, Name: "dev"},
			}
			var addr, webhook string
			for _, targets := range tc.processes {
				p := startProcess(t, cfg, targets...)
				if p.channels != nil {
					addr = p.channels.Addr().String()
				}
				if p.ingress != nil {
					webhook = p.base() + "/chatbot/hooks/" + botID + "/hookInstance/async"
				}
			}
			checkDispatcherAdminRefusals(t, addr)

			if r := say(t, webhook, "dora", "show my balance"); r.Status != http.StatusOK {
				t.Fatalf("async turn: %d %s", r.Status, r.Raw)
			}
			var listed struct {
				DeadLetters []struct {
					Sequence  string `json:"sequence"`
					MessageID string `json:"messageId"`
				} `json:"deadLetters"`
			}
			polltest.Until(t, "dead letters listed by parley admin", 20*time.Second, func() bool {
				code, out, _ := parleyAdmin(addr, viewerAdminToken, "dlq", "list", "--json")
				return code == 0 && json.Unmarshal([]byte(out), &listed) == nil && len(listed.DeadLetters) >= 2
			})
			code, out, errOut := parleyAdmin(addr, viewerAdminToken, "dlq", "list")
			if code != 0 || !strings.Contains(out, listed.DeadLetters[0].MessageID) {
				t.Fatalf("dlq list: exit %d\n%s%s", code, out, errOut)
			}
			if code, _, errOut := parleyAdmin(addr, viewerAdminToken, "dlq", "replay", "--seq", listed.DeadLetters[0].Sequence); code != 1 || !strings.Contains(errOut, "PermissionDenied") {
				t.Fatalf("replay by a viewer: exit %d: %s", code, errOut)
			}
			if code, out, errOut := parleyAdmin(addr, developerAdminToken, "dlq", "replay", "--seq", listed.DeadLetters[0].Sequence); code != 0 || !strings.Contains(out, "replayed 1") {
				t.Fatalf("replay: exit %d: %s%s", code, out, errOut)
			}
		})
	}
}

// checkDispatcherAdminRefusals calls each dispatcher admin service at addr
// without a token and with an unknown one.
func checkDispatcherAdminRefusals(t *testing.T, addr string) {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []context.Context{ctx, metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer not-an-admin-token-0123")} {
		_, err := dispatcherv1.NewDeadLetterAdminClient(cc).List(c, &dispatcherv1.ListDeadLettersRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("DeadLetterAdmin.List: %v, want Unauthenticated", err)
		}
		_, err = dispatcherv1.NewProactiveAdminClient(cc).SendMessage(c, &dispatcherv1.SendMessageRequest{BotId: botID, InstanceId: "async", FromId: "mallory",
			Messages: []*dispatcherv1.ProactiveMessage{{Body: &dispatcherv1.ProactiveMessage_Text{Text: "click here"}}}})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("ProactiveAdmin.SendMessage: %v, want Unauthenticated", err)
		}
	}
}
