package adminauth_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/adminauth"
)

const (
	viewerToken = "viewer-token-0123456789"
	devToken    = "developer-token-0123456789"
	adminToken  = "bots-admin-token-0123456789"
)

var tokens = []adminauth.Token{
	{Token: viewerToken, Role: adminauth.RoleViewer, Name: "vera"},
	{Token: devToken, Role: adminauth.RoleDeveloper},
	{Token: adminToken, Role: adminauth.RoleBotsAdmin, Name: "alice"},
}

func TestRolesAreOrdered(t *testing.T) {
	for _, tc := range []struct {
		have, need adminauth.Role
		ok         bool
	}{
		{adminauth.RoleViewer, adminauth.RoleViewer, true},
		{adminauth.RoleViewer, adminauth.RoleDeveloper, false},
		{adminauth.RoleDeveloper, adminauth.RoleViewer, true},
		{adminauth.RoleDeveloper, adminauth.RoleBotsAdmin, false},
		{adminauth.RoleBotsAdmin, adminauth.RoleDeveloper, true},
		{"root", adminauth.RoleViewer, false},
		{adminauth.RoleBotsAdmin, "", false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%q.Allows(%q) = %v, want %v", tc.have, tc.need, got, tc.ok)
		}
	}
}

func TestValidateTokens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens []adminauth.Token
		want   []string // substrings of the error; none: valid
	}{
		{"valid", tokens, nil},
		{"none", nil, nil},
		{"short", []adminauth.Token{{Token: "short", Role: adminauth.RoleViewer}}, []string{"admin_tokens[0].token: must be at least 16"}},
		{"twice", []adminauth.Token{{Token: devToken, Role: adminauth.RoleViewer}, {Token: devToken, Role: adminauth.RoleDeveloper}}, []string{"admin_tokens[1].token: listed twice"}},
		{"role", []adminauth.Token{{Token: devToken, Role: "root"}}, []string{`admin_tokens[0].role: "root" is not one of viewer, developer, bots_admin`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := adminauth.ValidateTokens("admin_tokens", tc.tokens)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
		})
	}
}

func TestMergeRefusesConflictingRoles(t *testing.T) {
	p, err := adminauth.Merge(adminauth.Policy{"/a/B": adminauth.RoleViewer}, adminauth.Policy{"/a/C": adminauth.RoleDeveloper, "/a/B": adminauth.RoleViewer})
	if err != nil || len(p) != 2 {
		t.Fatalf("Merge = %v, %v", p, err)
	}
	if _, err := adminauth.Merge(adminauth.Policy{"/a/B": adminauth.RoleViewer}, adminauth.Policy{"/a/B": adminauth.RoleBotsAdmin}); err == nil {
		t.Fatal("conflicting roles merged")
	}
}

// serveHealth runs the health service on a loopback listener behind a
// guard with policy; it returns a client.
func serveHealth(t *testing.T, policy adminauth.Policy) healthpb.HealthClient {
	t.Helper()
	g := adminauth.NewGuard(tokens, policy)
	srv := grpc.NewServer(g.Interceptors(slog.New(slog.DiscardHandler))...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return healthpb.NewHealthClient(cc)
}

func withAuth(ctx context.Context, v string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", v)
}

// Every kind of refusal over a real gRPC connection, unary and streaming.
func TestGuardOverGRPC(t *testing.T) {
	cl := serveHealth(t, adminauth.Policy{
		healthpb.Health_Check_FullMethodName: adminauth.RoleViewer,
		healthpb.Health_List_FullMethodName:  adminauth.RoleBotsAdmin,
		// Watch is not listed: nobody may call it.
	})
	ctx := t.Context()
	for _, tc := range []struct {
		name, auth string
		call       func(context.Context) error
		code       codes.Code
		msg        string
	}{
		{"no token", "", check(cl), codes.Unauthenticated, "authorization"},
		{"wrong token", "Bearer wrong-token-0123456789", check(cl), codes.Unauthenticated, "not valid"},
		{"wrong scheme", "Basic " + viewerToken, check(cl), codes.Unauthenticated, "Bearer"},
		{"empty bearer", "Bearer ", check(cl), codes.Unauthenticated, "Bearer"},
		{"viewer reads", "Bearer " + viewerToken, check(cl), codes.OK, ""},
		{"scheme in any case", "bearer " + viewerToken, check(cl), codes.OK, ""},
		{"developer below bots_admin", "Bearer " + devToken, list(cl), codes.PermissionDenied, "List needs the bots_admin role; this token has the developer role"},
		{"bots_admin", "Bearer " + adminToken, list(cl), codes.OK, ""},
		{"unlisted method", "Bearer " + adminToken, watch(cl), codes.PermissionDenied, "Watch is not open to any admin role"},
		{"stream without token", "", watch(cl), codes.Unauthenticated, "authorization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx
			if tc.auth != "" {
				c = withAuth(ctx, tc.auth)
			}
			err := tc.call(c)
			if st := status.Convert(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.code, tc.msg)
			}
		})
	}
}

func check(cl healthpb.HealthClient) func(context.Context) error {
	return func(ctx context.Context) error { _, err := cl.Check(ctx, &healthpb.HealthCheckRequest{}); return err }
}

func list(cl healthpb.HealthClient) func(context.Context) error {
	return func(ctx context.Context) error { _, err := cl.List(ctx, &healthpb.HealthListRequest{}); return err }
}

func watch(cl healthpb.HealthClient) func(context.Context) error {
	return func(ctx context.Context) error {
		s, err := cl.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}
}

// The handler sees who called.
func TestCallerReachesTheHandler(t *testing.T) {
	g := adminauth.NewGuard(tokens, adminauth.Policy{"/debug/pprof/": adminauth.RoleDeveloper})
	var got adminauth.Caller
	h := g.HTTP("/debug/pprof/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = adminauth.CallerFrom(r.Context())
		_, _ = io.WriteString(w, "profile")
	}), slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		auth string
		code int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer nope-nope-nope-nope-nope", http.StatusUnauthorized},
		{"Bearer " + viewerToken, http.StatusForbidden},
		{"Bearer " + devToken, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%q: status %d, want %d", tc.auth, resp.StatusCode, tc.code)
		}
		if tc.code == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: 401 without WWW-Authenticate", tc.auth)
		}
	}
	if got.Role != adminauth.RoleDeveloper || got.Name != "developer" {
		t.Errorf("caller %+v, want the developer (named after the role)", got)
	}
}

// Covers names the methods a server registers without a role.
func TestPolicyCovers(t *testing.T) {
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	if err := adminauth.HealthPolicy.Covers(srv); err != nil {
		t.Fatal(err)
	}
	err := adminauth.Policy{healthpb.Health_Check_FullMethodName: adminauth.RoleViewer}.Covers(srv)
	if err == nil || !strings.Contains(err.Error(), healthpb.Health_Watch_FullMethodName) {
		t.Fatalf("Covers = %v, want Watch named", err)
	}
}
