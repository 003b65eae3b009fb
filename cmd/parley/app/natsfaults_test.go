package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/ingress"
)

// liveProcess is a Parley process run as `parley serve` runs it: its ops
// server answers before the targets start, and nothing waits for it to be
// ready.
type liveProcess struct {
	ops  *opsserver.Server
	done chan error

	mu      sync.Mutex
	ingress *ingress.Service
}

func startLive(t *testing.T, cfg Config, targets ...string) *liveProcess {
	t.Helper()
	a, err := New(cfg, logx.Discard())
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	noDelay := time.Duration(0)
	ops, err := opsserver.New(opsserver.Config{Listen: "127.0.0.1:0", ShutdownDelay: &noDelay, CheckTimeout: 2 * time.Second}, opsserver.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetChecks(ops); err != nil {
		t.Fatal(err)
	}
	p := &liveProcess{ops: ops, done: make(chan error, 1)}
	a.Started = func(_ string, svc run.Service) {
		if s, ok := svc.(*ingress.Service); ok {
			p.mu.Lock()
			p.ingress = s
			p.mu.Unlock()
		}
	}
	opsCtx, stopOps := context.WithCancel(context.Background())
	opsDone := make(chan error, 1)
	go func() { opsDone <- ops.Run(opsCtx) }()
	<-ops.Ready()
	ctx, stop := context.WithCancel(context.Background())
	go func() { p.done <- a.Run(ctx, targets) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("parley stopped: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("parley did not stop")
		}
		stopOps()
		if err := <-opsDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ops server stopped: %v", err)
		}
	})
	return p
}

// probe returns the status of GET path on the ops server, -1 when the
// connection fails.
func (p *liveProcess) probe(path string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + p.ops.Addr().String() + path)
	if err != nil {
		return -1
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (p *liveProcess) ready() bool { return p.probe("/readyz") == http.StatusOK }

// running fails the test if the process has stopped.
func (p *liveProcess) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		t.Fatalf("parley stopped: %v", err)
	default:
	}
}

func (p *liveProcess) webhook(path string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "http://" + p.ingress.Addr().String() + path
}

// TestAppRidesThroughANATSRestart: nats-server restarts (data kept) under
// a running one-binary Parley. The process keeps running; /readyz goes 503
// during the outage and back to 200 by itself; meanwhile the webhook
// refuses turns with 503 and Retry-After instead of accepting them; and the
// conversations begun before the restart continue after it, in order.
func TestAppRidesThroughANATSRestart(t *testing.T) {
	srv := bustest.RunRestartable(t)
	cfg := testConfig(t, srv.Config(t))
	p := startLive(t, cfg, All)
	polltest.Until(t, "readiness", 30*time.Second, p.ready)

	url := p.webhook("/chatbot/hooks/" + botID)
	users := []string{"restart-ann", "restart-bob", "restart-cy"}
	for _, u := range users {
		if got := texts(t, say(t, url, u, "show my balance")); len(got) == 0 || !strings.Contains(got[0], "Which account") {
			t.Fatalf("%s before the restart: %v", u, got)
		}
	}

	srv.Shutdown()
	polltest.Until(t, "readiness to fail while NATS is down", 10*time.Second, func() bool {
		return p.probe("/readyz") == http.StatusServiceUnavailable
	})
	for _, path := range []string{"/chatbot/hooks/" + botID, "/chatbot/hooks/" + botID + "/hookInstance/async"} {
		r := say(t, p.webhook(path), "restart-ann", "savings")
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s while NATS is down: status %d, Retry-After %q: %s", path, r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
		if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["code"] != float64(503) {
			t.Fatalf("%s while NATS is down: body %s is not the contract's error envelope", path, r.Raw)
		}
	}
	if p.probe("/livez") != http.StatusOK {
		t.Fatal("/livez failed during the outage")
	}
	p.running(t)

	srv.Start(t)
	polltest.Until(t, "readiness after the restart", 60*time.Second, p.ready)
	for _, u := range users {
		got := texts(t, say(t, url, u, "savings"))
		if len(got) == 0 || got[0] != "You have $45,000 in your Savings account." {
			t.Fatalf("%s after the restart: %v", u, got)
		}
	}
	p.running(t)
}

// TestAppStartsWithNATSDown: with nothing at the NATS URL, the process
// stays up and not ready (it does not exit); once NATS starts it loads the
// KV registry, becomes ready by itself, and serves.
func TestAppStartsWithNATSDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	busCfg := bus.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Partitions: 8, Prefix: "startsdown"}
	busCfg.Defaults()
	cfg := testConfig(t, busCfg)
	cfg.DataDir = t.TempDir() // published bot versions are unpacked there
	cfg.Channels.Store = channels.StoreKV
	cfg.Channels.MasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	p := startLive(t, cfg, All)

	polltest.Holds(t, "503 and running while NATS is down", 1500*time.Millisecond, func() bool {
		select {
		case err := <-p.done:
			t.Fatalf("parley stopped with NATS down: %v", err)
		default:
		}
		return p.probe("/readyz") == http.StatusServiceUnavailable && p.probe("/livez") == http.StatusOK
	})
	bustest.RunJetStreamAt(t, t.TempDir(), port)
	polltest.Until(t, "readiness once NATS is up", 60*time.Second, p.ready)
	got := texts(t, say(t, p.webhook("/chatbot/hooks/"+botID), "late-starter", "show my balance"))
	if len(got) == 0 || !strings.Contains(got[0], "Which account") {
		t.Fatalf("first turn: %v", got)
	}
}

// TestReadyzIsUnavailableUntilTheWebhookListens: from the moment the ops
// server answers, /readyz is 503, never 200 and never refused, until the
// webhook accepts connections; then it stays 200 (no flapping while the
// modules register).
func TestReadyzIsUnavailableUntilTheWebhookListens(t *testing.T) {
	_, busCfg := newServer(t)
	p := startLive(t, testConfig(t, busCfg), All)
	var seen []int
	polltest.Until(t, "readiness", 30*time.Second, func() bool {
		code := p.probe("/readyz")
		seen = append(seen, code)
		switch code {
		case http.StatusServiceUnavailable:
			return false
		case http.StatusOK:
			return true
		}
		t.Fatalf("/readyz answered %d during start (statuses so far: %v)", code, seen)
		return false
	})
	p.mu.Lock()
	ing := p.ingress
	p.mu.Unlock()
	if ing == nil {
		t.Fatal("/readyz passed before the ingress started")
	}
	c, err := net.DialTimeout("tcp", ing.Addr().String(), time.Second)
	if err != nil {
		t.Fatalf("/readyz passed while the webhook does not accept connections: %v", err)
	}
	_ = c.Close()
	polltest.Holds(t, "readiness once reached", time.Second, p.ready)
	if seen[0] != http.StatusServiceUnavailable {
		t.Fatalf("/readyz passed at the first probe, before the targets could start: %v", seen)
	}
}

// TestAppRidesThroughClusterFaults: one-binary Parley on a three-node
// JetStream cluster with three replicas of everything. One node killed and
// back, a rolling restart of all three, and a full cluster restart: the
// process keeps running, becomes ready again by itself after each fault,
// and the users' conversations continue in order.
func TestAppRidesThroughClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node cluster")
	}
	cl := bustest.RunCluster(t, 3)
	busCfg := bus.Config{URL: cl.URL, Partitions: 8, Replicas: 3, Prefix: "cluster"}
	busCfg.Defaults()
	p := startLive(t, testConfig(t, busCfg), All)
	url := func() string { return p.webhook("/chatbot/hooks/" + botID) }
	steps := []struct{ say, want string }{
		{"show my balance", "Which account"},
		{"savings", "You have $45,000 in your Savings account."},
	}
	turn := 0
	// converse plays the next step for every user once Parley is ready; a
	// 503 (nothing accepted) is retried, as the contract tells clients to.
	converse := func(after string) {
		t.Helper()
		polltest.Until(t, "readiness after "+after, 120*time.Second, p.ready)
		step := steps[turn%len(steps)]
		turn++
		for _, u := range []string{"cl-ann", "cl-bob", "cl-cy"} {
			var r response
			polltest.Until(t, u+"'s turn to be accepted after "+after, 60*time.Second, func() bool {
				r = say(t, url(), u, step.say)
				return r.Status != http.StatusServiceUnavailable
			})
			if got := texts(t, r); len(got) == 0 || !strings.Contains(got[0], step.want) {
				t.Fatalf("%s said %q after %s: got %v", u, step.say, after, got)
			}
		}
		p.running(t)
	}
	converse("the start")

	cl.Nodes[0].Shutdown()
	cl.WaitCurrent(t)
	converse("a node was killed")
	cl.Nodes[0].Start(t)
	cl.WaitCurrent(t)

	for _, n := range cl.Nodes {
		n.Shutdown()
		cl.WaitCurrent(t)
		n.Start(t)
		cl.WaitCurrent(t)
	}
	converse("a rolling restart")

	for _, n := range cl.Nodes {
		n.Shutdown()
	}
	polltest.Until(t, "readiness to fail with the cluster down", 10*time.Second, func() bool {
		return p.probe("/readyz") == http.StatusServiceUnavailable
	})
	p.running(t)
	for _, n := range cl.Nodes {
		n.Start(t)
	}
	cl.WaitCurrent(t)
	converse("a full cluster restart")
}
