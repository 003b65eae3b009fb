package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/dialog"
	"github.com/parleyhq/parley/services/ingress"
)

const (
	botID   = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
	appA    = "cs-6a0b8b86-3c57-4f0e-9d5a-2b1f0c9e7d41"
	appB    = "cs-0f1e2d3c-4b5a-4968-8776-655443322110"
	secretA = "secret-of-app-a-for-tests"
	secretB = "secret-of-app-b-for-tests"
)

// testConfig is a full configuration on the given NATS with every kind of
// webhook instance the tests need.
func testConfig(t testing.TB, busCfg bus.Config) Config {
	t.Helper()
	var cfg Config
	cfg.NATS.Config = busCfg
	cfg.Log = logx.Config{Level: "error", Format: "text"}
	cfg.Ingress.Listen = "127.0.0.1:0"
	cfg.Ingress.SyncTimeout = 10 * time.Second
	cfg.Ingress.RateLimit.PerUser = 10000
	cfg.Ingress.RateLimit.PerUserBurst = 10000
	cfg.Channels.Listen = "127.0.0.1:0"
	cfg.Dialog.LeaseTTL = 2 * time.Second
	cfg.Dispatcher.AllowPrivateNetworks = true
	cfg.Registry = registry.Config{
		Apps: []registry.App{
			{ClientID: appA, Name: "A", ClientSecret: secretA, Algorithms: []string{"HS256", "HS512"}},
			{ClientID: appB, Name: "B", ClientSecret: secretB, Algorithms: []string{"HS256"}},
		},
		Bots: []registry.Bot{{ID: botID, Name: "Banking", Path: "../../../examples/bots/banking"}},
		Instances: []registry.Instance{
			{BotID: botID, Name: "first", App: appA, Mode: registry.ModeSync, Enabled: true, Approved: true},
			{BotID: botID, InstanceID: "second", Name: "second", App: appA, Mode: registry.ModeSync, Enabled: true, Approved: true},
			{BotID: botID, InstanceID: "disabled", Name: "disabled", App: appA, Mode: registry.ModeSync, Enabled: false, Approved: true},
			{BotID: botID, InstanceID: "unapproved", Name: "unapproved", App: appA, Mode: registry.ModeSync, Enabled: true, Approved: false},
			{BotID: botID, InstanceID: "async", Name: "async", App: appA, Mode: registry.ModeAsync, Enabled: true, Approved: true, PostURL: "http://127.0.0.1:1/unused"},
			{BotID: botID, InstanceID: "fast", Name: "fast", App: appA, Mode: registry.ModeSync, Enabled: true, Approved: true, SyncTimeout: 300 * time.Millisecond},
		},
	}
	return cfg
}

// process is one running Parley process.
type process struct {
	t        testing.TB
	app      *App
	ingress  *ingress.Service
	dialog   *dialog.Service
	channels *channels.Service
	stop     context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

func (p *process) base() string { return "http://" + p.ingress.Addr().String() }

// startProcess runs targets of cfg until the test ends (or Stop).
func startProcess(t testing.TB, cfg Config, targets ...string) *process {
	t.Helper()
	return startProcessWith(t, cfg, nil, targets...)
}

// startProcessWith lets the caller set up the App (telemetry) before Run.
func startProcessWith(t testing.TB, cfg Config, setup func(*App), targets ...string) *process {
	t.Helper()
	a, err := New(cfg, logx.Discard())
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	if setup != nil {
		setup(a)
	}
	p := &process{t: t, app: a, done: make(chan error, 1)}
	var mu sync.Mutex
	readies := []<-chan struct{}{}
	a.Started = func(name string, svc run.Service) {
		mu.Lock()
		defer mu.Unlock()
		switch s := svc.(type) {
		case *ingress.Service:
			p.ingress = s
			readies = append(readies, s.Ready())
		case *dialog.Service:
			p.dialog = s
			readies = append(readies, s.Ready())
		case *channels.Service:
			p.channels = s
			readies = append(readies, s.Ready())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go func() { p.done <- a.Run(ctx, targets) }()
	t.Cleanup(p.Stop)
	deadline := time.After(20 * time.Second)
	for want := countServices(targets); ; {
		mu.Lock()
		n := len(readies)
		mu.Unlock()
		if n >= want {
			break
		}
		select {
		case err := <-p.done:
			t.Fatalf("parley stopped during start: %v", err)
		case <-deadline:
			t.Fatal("services did not start")
		case <-time.After(10 * time.Millisecond):
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range readies {
		select {
		case <-r:
		case err := <-p.done:
			t.Fatalf("parley stopped during start: %v", err)
		case <-deadline:
			t.Fatal("services not ready")
		}
	}
	return p
}

func countServices(targets []string) int {
	n := 0
	for _, t := range targets {
		switch t {
		case Ingress, Dialog, Channels:
			n++
		case All:
			n += 3
		}
	}
	return n
}

// Stop stops the process and waits for it; later calls return at once.
func (p *process) Stop() {
	p.stopOnce.Do(func() {
		p.stop()
		select {
		case err := <-p.done:
			if err != nil {
				p.t.Errorf("parley stopped: %v", err)
			}
		case <-time.After(30 * time.Second):
		}
	})
}

func newServer(t testing.TB) (*bustest.Server, bus.Config) {
	srv := bustest.RunJetStream(t)
	return srv, srv.Config(t)
}

func token(t testing.TB, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func userToken(t testing.TB, user string) string {
	return token(t, secretA, jwt.MapClaims{"appId": appA, "sub": user})
}

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func post(t testing.TB, url, auth, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("response is not JSON: %q", raw)
		}
	}
	return r
}

func say(t testing.TB, url, user, text string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"text": text}, "from": map[string]any{"id": user}})
	return post(t, url, "bearer "+userToken(t, user), "application/json", string(body))
}

func texts(t testing.TB, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	var out []string
	for _, x := range r.Body["text"].([]any) {
		out = append(out, x.(string))
	}
	return out
}
