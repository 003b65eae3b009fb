// Package ingress is Parley's front door: the Kore.ai-compatible WebHook
// channel. It authenticates each POST, validates it, stores the turn in
// JetStream and, for synchronous channels, waits for the dialog service's
// reply on a subject of its own.
package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/httpapi"
	"github.com/parleyhq/parley/services/ingress/internal/idempotency"
	"github.com/parleyhq/parley/services/ingress/internal/natsio"
	"github.com/parleyhq/parley/services/ingress/internal/polls"
	"github.com/parleyhq/parley/services/ingress/internal/replaystore"
)

// RateLimits are re-exported for configuration.
type RateLimits = httpapi.RateLimits

// Config of the ingress.
type Config struct {
	Listen string `yaml:"listen"`
	// SyncTimeout is Kore's synchronous budget; instances may override it.
	SyncTimeout  time.Duration `yaml:"sync_timeout"`
	MaxBodyBytes int64         `yaml:"max_body_bytes"`
	MaxTextChars int           `yaml:"max_text_chars"`
	// ClockSkew is allowed on exp, nbf and iat.
	ClockSkew     time.Duration `yaml:"clock_skew"`
	RateLimit     RateLimits    `yaml:"rate_limit"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.SyncTimeout == 0 {
		c.SyncTimeout = 15 * time.Second // Kore's documented limit
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxTextChars == 0 {
		c.MaxTextChars = 3000
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = time.Minute
	}
	if c.RateLimit == (RateLimits{}) {
		c.RateLimit = RateLimits{PerUser: 20, PerUserBurst: 40}
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 20 * time.Second
	}
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("ingress.listen: required")
	case c.SyncTimeout <= 0 || c.SyncTimeout > 5*time.Minute:
		return errors.New("ingress.sync_timeout: must be between 1ms and 5m")
	case c.MaxBodyBytes < 1024:
		return errors.New("ingress.max_body_bytes: must be at least 1024")
	case c.MaxTextChars < 1:
		return errors.New("ingress.max_text_chars: must be positive")
	case c.ClockSkew < 0 || c.ClockSkew > 10*time.Minute:
		return errors.New("ingress.clock_skew: must be between 0 and 10m")
	case c.RateLimit.PerInstance < 0 || c.RateLimit.PerUser < 0:
		return errors.New("ingress.rate_limit: rates must not be negative")
	}
	return nil
}

// Deps are what the ingress is given.
type Deps struct {
	Bus      *bus.Conn
	Registry registry.View
	// Redis, when set, holds the jti replay set and the Idempotency-Key
	// records; otherwise KV buckets do.
	Redis  redis.UniversalClient
	Logger *slog.Logger
	// Tracer and Meter are optional; nil means no traces or metrics.
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
}

// Service is a running ingress.
type Service struct {
	cfg   Config
	deps  Deps
	id    string
	ready chan struct{}
	addr  net.Addr
	bus   *natsio.Bus
}

// New validates the configuration; it opens nothing.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil || deps.Registry == nil || deps.Logger == nil {
		return nil, errors.New("ingress: bus, registry and logger are required")
	}
	return &Service{cfg: cfg, deps: deps, id: uuid.NewString()[:8], ready: make(chan struct{})}, nil
}

// Ready is closed once the listener is bound.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address, valid after Ready.
func (s *Service) Addr() net.Addr { return s.addr }

// LateReplies counts synchronous replies that arrived after a 504.
func (s *Service) LateReplies() int64 { return s.bus.LateReplies() }

// Run serves until ctx is done, then stops accepting, lets in-flight requests
// finish within the shutdown grace, and returns. It waits for NATS (with
// backoff) before it listens, staying not ready meanwhile; once serving,
// a turn that cannot be stored is refused with 503 and Retry-After.
func (s *Service) Run(ctx context.Context) error {
	log := s.deps.Logger.With("service", "ingress")
	var st stores
	if err := run.Retry(ctx, log, "ingress setup", func(ctx context.Context) (err error) {
		st, err = s.open(ctx)
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	b, err := natsio.Open(s.deps.Bus, s.id, s.deps.Tracer, log)
	if err != nil {
		return err
	}
	s.bus = b
	defer b.Close()

	webhook, err := httpapi.New(s.deps.Registry, auth.NewVerifier(s.deps.Registry, st.guard, s.cfg.ClockSkew), publisher{b}, st.idem, st.polls, httpapi.Limits{
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		MaxTextChars: s.cfg.MaxTextChars,
		SyncTimeout:  s.cfg.SyncTimeout,
		Rate:         s.cfg.RateLimit,
	}, log, s.deps.Meter)
	if err != nil {
		return err
	}
	handler := otelx.HTTPHandler(webhook, "webhook", s.deps.Tracer, s.deps.Meter)
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ingress.listen %s: %w", s.cfg.Listen, err)
	}
	s.addr = ln.Addr()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Synchronous turns hold the response open for up to the budget.
		WriteTimeout: s.cfg.SyncTimeout + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	close(s.ready)
	log.Info("webhook listening", "addr", s.addr.String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// ctx is done: the requests under way get the grace period to finish.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// stores are the ingress's stores: Redis when configured, else KV buckets.
type stores struct {
	guard auth.ReplayGuard
	idem  httpapi.IdempotencyStore
	polls httpapi.PollStore
}

// open sets up the streams and the stores; Run retries it until NATS
// answers.
func (s *Service) open(ctx context.Context) (stores, error) {
	if err := s.deps.Bus.EnsureStreams(ctx); err != nil {
		return stores{}, err
	}
	if s.deps.Redis != nil {
		return stores{
			guard: replaystore.NewRedis(s.deps.Redis, "parley:"),
			idem:  idempotency.NewRedis(s.deps.Redis, "parley:"),
			polls: polls.NewRedis(s.deps.Redis, "parley:"),
		}, nil
	}
	cfg, js := s.deps.Bus.Cfg, s.deps.Bus.JS
	guard, err := replaystore.NewKV(ctx, js, cfg.Name("parley_jti"), cfg.Replicas, s.cfg.ClockSkew)
	if err != nil {
		return stores{}, err
	}
	idem, err := idempotency.NewKV(ctx, js, cfg.Name("parley_idempotency"), cfg.Replicas)
	if err != nil {
		return stores{}, err
	}
	pollStore, err := polls.NewKV(ctx, js, cfg.Name("parley_polls"), cfg.Replicas)
	if err != nil {
		return stores{}, err
	}
	return stores{guard: guard, idem: idem, polls: pollStore}, nil
}

// publisher adapts natsio.Bus to the handler's port.
type publisher struct{ b *natsio.Bus }

func (p publisher) Publish(ctx context.Context, turn *eventsv1.Turn, deadline time.Time) (httpapi.Waiter, error) {
	pending, err := p.b.Publish(ctx, turn, deadline)
	if err != nil || pending == nil {
		return nil, err
	}
	return pending, nil
}
