// Package opsserver is the per-process operations HTTP server: liveness,
// readiness built from named checks, Prometheus metrics, and the
// readiness-first graceful stop.
//
//	GET /livez    200 while the process serves HTTP at all
//	GET /readyz   200 when every check passes and the process is not
//	              stopping; 503 otherwise, with a JSON body naming the
//	              failing checks
//	GET /metrics  the handler given in Deps (otelx.Providers.MetricsHandler)
//
// # Stopping
//
// Kubernetes removes a pod from its Services' endpoints some time after it
// sends SIGTERM, and load balancers keep sending to it until then. So, as in
// Tempo and Temporal, a stopping process first fails /readyz, then keeps
// working for ShutdownDelay, and only then stops its services. StopContext
// implements that order around the run.Manager:
//
//	ops, _ := opsserver.New(cfg.Ops, opsserver.Deps{Logger: log, Metrics: providers.MetricsHandler()})
//	go ops.Run(opsCtx)                    // stopped last, after the services
//	runCtx, cancel := ops.StopContext(sigCtx)
//	defer cancel()
//	err := manager.Run(runCtx, targets) // services stop ShutdownDelay after SIGTERM
//	stopOps()
//
// The ops server keeps answering /livez while the services drain, so the
// kubelet does not kill a pod that is stopping cleanly.
package opsserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultListen is the ops address when none is configured: loopback, as
// the other listeners; Kubernetes and Compose set 0.0.0.0:9100.
const DefaultListen = "127.0.0.1:9100"

// DefaultShutdownDelay is how long readiness fails before services stop: a
// few endpoint-controller and kube-proxy propagation rounds.
const DefaultShutdownDelay = 5 * time.Second

// Config of the ops server (the ops section).
type Config struct {
	// Listen is host:port; port 0 picks a free port (tests).
	Listen string `yaml:"listen"`
	// ShutdownDelay is how long /readyz fails before the services stop.
	// Nil means DefaultShutdownDelay; 0 stops at once (tests, one-shot
	// runs). It must stay below the pod's terminationGracePeriodSeconds
	// minus the services' own drain time.
	ShutdownDelay *time.Duration `yaml:"shutdown_delay"`
	// CheckTimeout bounds each readiness check.
	CheckTimeout time.Duration `yaml:"check_timeout"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.ShutdownDelay == nil {
		d := DefaultShutdownDelay
		c.ShutdownDelay = &d
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = 2 * time.Second
	}
}

// Validate reports every invalid key.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("ops.listen: %w", err))
	}
	if c.ShutdownDelay != nil && (*c.ShutdownDelay < 0 || *c.ShutdownDelay > 5*time.Minute) {
		errs = append(errs, errors.New("ops.shutdown_delay: must be between 0s and 5m"))
	}
	if c.CheckTimeout <= 0 || c.CheckTimeout > time.Minute {
		errs = append(errs, errors.New("ops.check_timeout: must be between 1ns and 1m"))
	}
	return errors.Join(errs...)
}

// Delay is the effective shutdown delay.
func (c Config) Delay() time.Duration {
	if c.ShutdownDelay == nil {
		return DefaultShutdownDelay
	}
	return *c.ShutdownDelay
}

// Check reports whether a dependency is usable; a nil error is healthy. It
// must honour ctx (the server gives each check CheckTimeout) and be cheap:
// /readyz runs every check on every probe, concurrently.
type Check func(ctx context.Context) error

// Checks is the registration side of the server, for services' Deps: a
// service registers the readiness of what it owns (its consumers bound, its
// listener up) and nothing else.
type Checks interface {
	AddCheck(name string, check Check) error
}

// Deps are what the server is given.
type Deps struct {
	Logger *slog.Logger
	// Metrics serves /metrics; nil answers 404.
	Metrics http.Handler
}

// Server is the ops server of one process.
type Server struct {
	cfg  Config
	deps Deps

	mu     sync.Mutex
	checks map[string]Check

	stopping atomic.Bool
	ready    chan struct{}
	addr     atomic.Pointer[net.Addr]
	handler  http.Handler
}

// New validates cfg and builds the server; it opens nothing.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, deps: deps, checks: map[string]Check{}, ready: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	if deps.Metrics != nil {
		mux.Handle("GET /metrics", deps.Metrics)
	}
	s.handler = mux
	return s, nil
}

// AddCheck registers a readiness check; names must be unique and are what
// /readyz reports (e.g. "nats", "redis", "dialog.consumers").
func (s *Server) AddCheck(name string, check Check) error {
	if name == "" || check == nil {
		return errors.New("opsserver: a check needs a name and a function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.checks[name]; dup {
		return fmt.Errorf("opsserver: check %q is already registered", name)
	}
	s.checks[name] = check
	return nil
}

// Handler is the server's routes, for tests and for mounting elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready is closed once the server listens (run.Ready).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the listening address once Ready is closed, else nil.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Run serves until ctx is done, then shuts the HTTP server down (waiting
// at most 5s for probes in flight). It does not fail readiness by itself:
// see StopContext.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ops.listen %s: %w", s.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	addr := ln.Addr()
	s.addr.Store(&addr)
	close(s.ready)
	s.deps.Logger.Info("ops server listening", "addr", addr.String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("ops server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	// After Shutdown or Close, Serve returns http.ErrServerClosed: waiting
	// for it is all that is left to do.
	<-served //nolint:errcheck // the error is http.ErrServerClosed
	return nil
}

// BeginShutdown makes /readyz fail from now on; /livez keeps passing.
func (s *Server) BeginShutdown() {
	if !s.stopping.Swap(true) {
		s.deps.Logger.Info("readiness off; stopping after the shutdown delay", "shutdown_delay", s.cfg.Delay().String())
	}
}

// Stopping reports whether BeginShutdown was called.
func (s *Server) Stopping() bool { return s.stopping.Load() }

// StopContext returns a context derived from the values of parent that is
// cancelled ShutdownDelay after parent is done, with /readyz failing from
// the moment parent is done. Run the services under it. The returned
// cancel releases the timer and cancels at once.
func (s *Server) StopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	go func() {
		select {
		case <-parent.Done():
		case <-ctx.Done():
			return
		}
		s.BeginShutdown()
		t := time.NewTimer(s.cfg.Delay())
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

func (s *Server) livez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// CheckResult is one check in the /readyz body.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Status is the /readyz body.
type Status struct {
	// Status is "ready", "not_ready" or "stopping".
	Status string `json:"status"`
	// Failing names the failing checks, sorted.
	Failing []string      `json:"failing"`
	Checks  []CheckResult `json:"checks"`
}

// Evaluate runs every check concurrently, each bounded by CheckTimeout.
func (s *Server) Evaluate(ctx context.Context) Status {
	s.mu.Lock()
	checks := make(map[string]Check, len(s.checks))
	for n, c := range s.checks {
		checks[n] = c
	}
	s.mu.Unlock()

	results := make([]CheckResult, 0, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
			defer cancel()
			err := runCheck(cctx, check)
			r := CheckResult{Name: name, OK: err == nil}
			if err != nil {
				r.Error = err.Error()
			}
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(results, func(a, b CheckResult) int { return strings.Compare(a.Name, b.Name) })
	st := Status{Status: "ready", Failing: []string{}, Checks: results}
	for _, r := range results {
		if !r.OK {
			st.Failing = append(st.Failing, r.Name)
		}
	}
	switch {
	case s.Stopping():
		st.Status = "stopping"
	case len(st.Failing) > 0:
		st.Status = "not_ready"
	}
	return st
}

// runCheck runs check, turning a panic into an error and a check that
// ignores its context into a timeout.
func runCheck(ctx context.Context, check Check) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("check panicked: %v", r)
			}
		}()
		done <- check(ctx)
	}()
	select {
	case err = <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("check timed out: %w", ctx.Err())
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	st := s.Evaluate(r.Context())
	code := http.StatusOK
	if st.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(st)
}
