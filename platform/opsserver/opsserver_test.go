package opsserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/config"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/otelx"
)

func dur(d time.Duration) *time.Duration { return &d }

// start runs a server on a free port until the test ends.
func start(t *testing.T, delay time.Duration, deps opsserver.Deps) (*opsserver.Server, string) {
	t.Helper()
	cfg := opsserver.Config{Listen: "127.0.0.1:0", ShutdownDelay: dur(delay), CheckTimeout: 300 * time.Millisecond}
	s, err := opsserver.New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("ops server not ready")
	}
	return s, "http://" + s.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func readyz(t *testing.T, base string) (int, opsserver.Status) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var st opsserver.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	return code, st
}

func TestReadyz_reportsFailingChecks(t *testing.T) {
	s, base := start(t, 0, opsserver.Deps{})
	if code, _ := get(t, base+"/livez"); code != http.StatusOK {
		t.Fatalf("/livez = %d", code)
	}
	if code, st := readyz(t, base); code != http.StatusOK || st.Status != "ready" || len(st.Failing) != 0 {
		t.Fatalf("no checks: /readyz = %d %+v", code, st)
	}

	started := make(chan struct{})
	release := make(chan struct{}) // the hanging check ignores its context
	t.Cleanup(func() { close(release) })
	redisDown := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer redisDown.Close()
	for name, c := range map[string]opsserver.Check{
		"ok":       func(context.Context) error { return nil },
		"redis":    opsserver.RedisCheck(redisDown),
		"consumer": opsserver.ReadyCheck(started),
		"hangs":    func(context.Context) error { <-release; return nil },
		"panics":   func(context.Context) error { panic("boom") },
	} {
		if err := s.AddCheck(name, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddCheck("ok", func(context.Context) error { return nil }); err == nil {
		t.Fatal("duplicate check name accepted")
	}

	begin := time.Now()
	code, st := readyz(t, base)
	if code != http.StatusServiceUnavailable || st.Status != "not_ready" {
		t.Fatalf("/readyz = %d %+v", code, st)
	}
	if elapsed := time.Since(begin); elapsed > 2*time.Second {
		t.Fatalf("a hanging check held /readyz for %v (timeout 300ms)", elapsed)
	}
	if got := strings.Join(st.Failing, ","); got != "consumer,hangs,panics,redis" {
		t.Fatalf("failing = %s", got)
	}
	errs := map[string]string{}
	for _, c := range st.Checks {
		errs[c.Name] = c.Error
	}
	if !strings.Contains(errs["hangs"], "timed out") || !strings.Contains(errs["panics"], "boom") || errs["redis"] == "" {
		t.Fatalf("check errors = %v", errs)
	}
	if len(st.Checks) != 5 {
		t.Fatalf("checks = %+v", st.Checks)
	}

	// Liveness does not depend on checks.
	if code, body := get(t, base+"/livez"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/livez = %d %q", code, body)
	}
	close(started)
	if _, st := readyz(t, base); slicesContain(st.Failing, "consumer") {
		t.Fatalf("consumer still failing after Ready closed: %+v", st)
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestNATSCheck_followsTheConnection(t *testing.T) {
	srv := bustest.RunJetStream(t)
	if srv.NS == nil {
		t.Skip("needs the embedded server (PARLEY_TEST_NATS_URL is set)")
	}
	nc, err := nats.Connect(srv.URL, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	check := opsserver.NATSCheck(nc)
	if err := check(t.Context()); err != nil {
		t.Fatalf("connected: %v", err)
	}
	srv.Shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for check(t.Context()) == nil {
		if time.Now().After(deadline) {
			t.Fatal("check still passes after the server stopped")
		}
		<-time.After(10 * time.Millisecond)
	}
	if err := opsserver.NATSCheck(nil)(t.Context()); err == nil {
		t.Fatal("nil connection passes")
	}
}

func TestMetrics_servesTheProvidersRegistry(t *testing.T) {
	p, err := otelx.Setup(t.Context(), "opsserver-test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown(context.WithoutCancel(t.Context())) }()
	c, err := otelx.NewCounter(p.MeterProvider.Meter("t"), otelx.MetricTurnsAccepted)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(t.Context(), 2)
	_, base := start(t, 0, opsserver.Deps{Metrics: p.MetricsHandler()})
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "parley_turns_accepted_total") {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}

	_, bare := start(t, 0, opsserver.Deps{})
	if code, _ := get(t, bare+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics without a handler = %d, want 404", code)
	}
}

// TestStopContext_readinessFirst checks the stop order: when the signal
// context ends, /readyz fails at once while /livez passes and the services'
// context lives on for the shutdown delay.
func TestStopContext_readinessFirst(t *testing.T) {
	const delay = 400 * time.Millisecond
	s, base := start(t, delay, opsserver.Deps{})
	if err := s.AddCheck("ok", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	sig, sigterm := context.WithCancel(t.Context())
	runCtx, cancel := s.StopContext(sig)
	defer cancel()

	if code, _ := readyz(t, base); code != http.StatusOK {
		t.Fatalf("before the signal /readyz = %d", code)
	}
	stoppedAt := time.Now()
	sigterm()
	deadline := time.Now().Add(2 * time.Second)
	for !s.Stopping() {
		if time.Now().After(deadline) {
			t.Fatal("readiness never turned off")
		}
		<-time.After(5 * time.Millisecond)
	}
	code, st := readyz(t, base)
	if code != http.StatusServiceUnavailable || st.Status != "stopping" {
		t.Fatalf("while stopping /readyz = %d %+v", code, st)
	}
	if code, _ := get(t, base+"/livez"); code != http.StatusOK {
		t.Fatalf("while stopping /livez = %d", code)
	}
	if runCtx.Err() != nil && time.Since(stoppedAt) < delay {
		t.Fatal("services' context cancelled before the shutdown delay")
	}
	select {
	case <-runCtx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("services' context not cancelled after the delay")
	}
	if waited := time.Since(stoppedAt); waited < delay {
		t.Fatalf("services stopped after %v, before the %v delay", waited, delay)
	}
}

func TestStopContext_zeroDelayAndCancel(t *testing.T) {
	s, err := opsserver.New(opsserver.Config{Listen: "127.0.0.1:0", ShutdownDelay: dur(0), CheckTimeout: time.Second}, opsserver.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	sig, sigterm := context.WithCancel(t.Context())
	runCtx, cancel := s.StopContext(sig)
	defer cancel()
	sigterm()
	select {
	case <-runCtx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("zero delay did not stop at once")
	}

	// cancel alone stops without a signal and without turning readiness off.
	s2, err := opsserver.New(opsserver.Config{Listen: "127.0.0.1:0", ShutdownDelay: dur(4 * time.Minute), CheckTimeout: time.Second}, opsserver.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := s2.StopContext(t.Context())
	cancel2()
	<-ctx2.Done()
	if s2.Stopping() {
		t.Fatal("cancel turned readiness off")
	}
}

func TestRun_listenError(t *testing.T) {
	_, base := start(t, 0, opsserver.Deps{})
	addr := strings.TrimPrefix(base, "http://")
	s, err := opsserver.New(opsserver.Config{Listen: addr, CheckTimeout: time.Second}, opsserver.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "ops.listen") {
		t.Fatalf("Run on a busy port = %v", err)
	}
}

func TestConfig_yamlDefaultsAndValidate(t *testing.T) {
	type root struct {
		Ops opsserver.Config `yaml:"ops"`
	}
	for _, tc := range []struct {
		yaml   string
		listen string
		delay  time.Duration
		err    string
	}{
		{yaml: "ops: {}", listen: opsserver.DefaultListen, delay: opsserver.DefaultShutdownDelay},
		{yaml: "ops: {listen: '0.0.0.0:9100', shutdown_delay: 0s}", listen: "0.0.0.0:9100", delay: 0},
		{yaml: "ops: {shutdown_delay: 12s}", listen: opsserver.DefaultListen, delay: 12 * time.Second},
		{yaml: "ops: {shutdown_delay: -1s}", err: "ops.shutdown_delay"},
		{yaml: "ops: {listen: 'nonsense'}", err: "ops.listen"},
	} {
		var r root
		if err := config.Decode([]byte(tc.yaml), &r); err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		r.Ops.Defaults()
		err := r.Ops.Validate()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %s", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if r.Ops.Listen != tc.listen || r.Ops.Delay() != tc.delay {
			t.Errorf("%s: listen %s delay %v, want %s %v", tc.yaml, r.Ops.Listen, r.Ops.Delay(), tc.listen, tc.delay)
		}
	}
	if _, err := opsserver.New(opsserver.Config{Listen: "x"}, opsserver.Deps{}); err == nil {
		t.Fatal("New accepted an invalid config")
	}
}
