// Package dialog is Parley's bot runtime service. It consumes turns from
// JetStream (one partition per replica at a time, one lane per
// conversation), keeps each conversation's session in Redis or JetStream KV,
// runs the bot, and emits the reply: to the waiting ingress for synchronous
// channels, to the replies stream for asynchronous ones.
package dialog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/consume"
	"github.com/parleyhq/parley/platform/consume/partitions"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/dialog/botnlu"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
	"github.com/parleyhq/parley/services/dialog/internal/httpcall"
	"github.com/parleyhq/parley/services/dialog/internal/kvstore"
	"github.com/parleyhq/parley/services/dialog/internal/natsio"
	"github.com/parleyhq/parley/services/dialog/internal/processor"
	"github.com/parleyhq/parley/services/dialog/internal/redisstore"
	"github.com/parleyhq/parley/services/dialog/internal/scopes"
	"github.com/parleyhq/parley/services/dialog/internal/script"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Config of the dialog service.
type Config struct {
	// MemberID names this replica in the consumer group; default: host name
	// and a random suffix.
	MemberID string `yaml:"member_id"`
	// AckWait must exceed the slowest turn (service calls included).
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxInFlight bounds turns handed out per partition.
	MaxInFlight int `yaml:"max_in_flight"`
	// LeaseTTL is how long a dead replica keeps its partitions.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// SessionGrace keeps sessions past their idle timeout.
	SessionGrace time.Duration `yaml:"session_grace"`
	// MaxSessionLifetime is the JetStream KV bucket's MaxAge (the longest
	// idle timeout of any bot plus the grace).
	MaxSessionLifetime time.Duration `yaml:"max_session_lifetime"`
	// RedisKeyPrefix namespaces session keys.
	RedisKeyPrefix string `yaml:"redis_key_prefix"`
	// AllowPrivateServiceTargets lets service nodes call private, loopback
	// and link-local addresses (off: only public addresses, checked at
	// dial time after DNS).
	AllowPrivateServiceTargets bool `yaml:"allow_private_service_targets"`
	// BotEnv overrides bots' env variables, by bot id.
	BotEnv map[string]map[string]string `yaml:"bot_env"`
	// EnterpriseID names the EnterpriseContext scope shared by all bots.
	EnterpriseID string `yaml:"enterprise_id"`
	// SessionCacheSize bounds the sessions a replica keeps in memory to skip
	// the read of its own last write (-1 disables the cache).
	SessionCacheSize int `yaml:"session_cache_size"`
	// SessionCacheTTL is how long a cached session is trusted.
	SessionCacheTTL time.Duration `yaml:"session_cache_ttl"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.MemberID == "" {
		host, _ := os.Hostname()
		c.MemberID = sanitize(host) + "-" + uuid.NewString()[:8]
	}
	if c.AckWait == 0 {
		c.AckWait = 60 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 64
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.SessionGrace == 0 {
		c.SessionGrace = time.Hour
	}
	if c.MaxSessionLifetime == 0 {
		c.MaxSessionLifetime = 14*24*time.Hour + c.SessionGrace
	}
	if c.RedisKeyPrefix == "" {
		c.RedisKeyPrefix = "parley:"
	}
	if c.SessionCacheSize == 0 {
		c.SessionCacheSize = 100_000
	}
	if c.SessionCacheTTL == 0 {
		c.SessionCacheTTL = time.Minute
	}
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	switch {
	case c.AckWait < time.Second:
		return errors.New("dialog.ack_wait: must be at least 1s")
	case c.MaxInFlight < 1 || c.MaxInFlight > 10000:
		return errors.New("dialog.max_in_flight: must be between 1 and 10000")
	case c.LeaseTTL < time.Second:
		return errors.New("dialog.lease_ttl: must be at least 1s")
	case c.MaxSessionLifetime < c.SessionGrace:
		return errors.New("dialog.max_session_lifetime: must be at least dialog.session_grace")
	case c.SessionCacheSize < -1:
		return errors.New("dialog.session_cache_size: must be -1 (off) or positive")
	case c.SessionCacheTTL < 0 || c.SessionCacheTTL > time.Hour:
		return errors.New("dialog.session_cache_ttl: must be between 0 and 1h")
	}
	return nil
}

// Deps are what the dialog service is given.
type Deps struct {
	Bus      *bus.Conn
	Registry registry.View
	// Redis, when set, holds sessions; otherwise a JetStream KV bucket does.
	Redis  redis.UniversalClient
	Logger *slog.Logger
	// Tracer and Meter are optional; nil means no traces or metrics.
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
	// BotUpdates, when set (the channels registry), announces published
	// bot versions, which the replica loads without a restart.
	BotUpdates interface{ Subscribe(func(registry.Change)) }
}

// Service is a running dialog replica.
type Service struct {
	cfg     Config
	deps    Deps
	bots    *botSet
	scripts *script.Runner
	ready   chan struct{}

	reload    chan struct{}
	pendingMu sync.Mutex
	pending   map[string]bool
	group     *partitions.Group
}

// New validates the configuration and loads every bot of the registry; a
// bot that does not load stops the start with its precise errors.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil || deps.Registry == nil || deps.Logger == nil {
		return nil, errors.New("dialog: bus, registry and logger are required")
	}
	s := &Service{cfg: cfg, deps: deps, bots: &botSet{bots: map[string]*engine.Bot{}}, ready: make(chan struct{}),
		scripts: script.New(script.Config{}), reload: make(chan struct{}, 1), pending: map[string]bool{}}
	for _, b := range deps.Registry.Bots() {
		prog, err := s.compile(b)
		if err != nil {
			return nil, err
		}
		s.bots.bots[b.ID] = prog
	}
	if deps.BotUpdates != nil {
		deps.BotUpdates.Subscribe(s.noteChange)
	}
	return s, nil
}

// compile loads and compiles one bot definition (training its NLU).
func (s *Service) compile(b registry.Bot) (*engine.Bot, error) {
	def, err := engine.Load(b.Path)
	if err != nil {
		return nil, fmt.Errorf("load bot %s: %w", b.ID, err)
	}
	if def.ID != b.ID {
		return nil, fmt.Errorf("load bot %s: %s/bot.yaml declares id %s", b.ID, b.Path, def.ID)
	}
	prog, err := engine.Compile(def, engine.Options{Recognizer: botnlu.Recognizer, Scripts: s.scripts, Env: s.cfg.BotEnv[b.ID]})
	if err != nil {
		return nil, fmt.Errorf("load bot %s: %w", b.ID, err)
	}
	return prog, nil
}

// noteChange runs on the registry's watch goroutine, so it only records
// the bot and wakes the reloader.
func (s *Service) noteChange(c registry.Change) {
	if c.Kind != registry.ChangeBotPublished {
		return
	}
	s.pendingMu.Lock()
	s.pending[c.ID] = true
	s.pendingMu.Unlock()
	select {
	case s.reload <- struct{}{}:
	default:
	}
}

// reloadBots swaps in newly published bot versions. Turns in flight keep
// the version they started with; a version that fails to load is logged and
// the running one stays, so a bad publish never takes a bot down.
func (s *Service) reloadBots(ctx context.Context, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reload:
		}
		s.pendingMu.Lock()
		ids := s.pending
		s.pending = map[string]bool{}
		s.pendingMu.Unlock()
		for id := range ids {
			b, ok := s.deps.Registry.Bot(id)
			if !ok {
				continue
			}
			prog, err := s.compile(b)
			if err != nil {
				log.Error("new bot version refused; the running one stays", "bot_id", id, "err", err)
				continue
			}
			s.bots.mu.Lock()
			s.bots.bots[id] = prog
			s.bots.mu.Unlock()
			log.Info("bot version loaded", "bot_id", id, "path", b.Path)
		}
	}
}

// Ready is closed when the replica has joined the consumer group.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Check is the replica's readiness: it has joined the consumer group and
// its heartbeats reach the lease bucket.
func (s *Service) Check(ctx context.Context) error {
	select {
	case <-s.ready:
		return s.group.Check(ctx)
	default:
		return errors.New("dialog: not consuming yet")
	}
}

// OwnedPartitions lists the partitions this replica consumes now.
func (s *Service) OwnedPartitions() []int {
	if s.group == nil {
		return nil
	}
	return s.group.Owned()
}

// Run consumes turns until ctx is done, then finishes the turns in hand.
func (s *Service) Run(ctx context.Context) error {
	log := s.deps.Logger.With("service", "dialog")
	conn := s.deps.Bus
	var store session.Store
	var scopeStore scopes.Store
	// NATS may not be there yet: wait for it, not ready, rather than exit.
	if err := run.Retry(ctx, log, "dialog setup", func(ctx context.Context) (err error) {
		store, scopeStore, err = s.openStores(ctx)
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	proc := processor.New(processor.Config{
		SessionGrace: s.cfg.SessionGrace,
		EnterpriseID: s.cfg.EnterpriseID,
		Ports: processor.Ports{
			Extractor: &botnlu.Extractor{},
			Services:  httpcall.New(httpcall.Config{AllowPrivate: s.cfg.AllowPrivateServiceTargets, Tracer: s.deps.Tracer, Meter: s.deps.Meter}),
			Scopes:    scopeStore,
			Handoffs:  natsio.Handoffs{Conn: conn},
			Channels:  channelOverrides{reg: s.deps.Registry},
		},
	}, store, s.bots, natsio.Emitter{Conn: conn, Tracer: s.deps.Tracer}, log)
	tel, err := natsio.NewTelemetry(s.deps.Tracer, s.deps.Meter)
	if err != nil {
		return err
	}
	group, err := partitions.New(conn.JS, partitions.Config{
		Group:       "dialog",
		Stream:      conn.Cfg.Name(bus.StreamTurns),
		SubjectRoot: conn.Cfg.Subject(bus.SubjectTurns),
		Partitions:  conn.Cfg.Partitions,
		MemberID:    s.cfg.MemberID,
		LeaseBucket: conn.Cfg.Name(bus.BucketLeases),
		LeaseTTL:    s.cfg.LeaseTTL,
		AckWait:     s.cfg.AckWait,
		MaxInFlight: s.cfg.MaxInFlight,
		Replicas:    conn.Cfg.Replicas,
		Repair:      conn.Repair,
		Meter:       s.deps.Meter,
	}, consume.Traced(natsio.Handler(proc, tel), tel.Tracer, conn.Cfg.Subject(bus.SubjectTurns)), log)
	if err != nil {
		return err
	}
	s.group = group
	go func() {
		select {
		case <-group.Ready():
			close(s.ready)
		case <-ctx.Done():
		}
	}()
	go s.reloadBots(ctx, log)
	log.Info("dialog consuming", "bots", len(s.bots.bots), "partitions", conn.Cfg.Partitions)
	return group.Run(ctx)
}

// openStores sets up the streams and opens the session and scope stores:
// Redis when configured, else JetStream KV buckets.
func (s *Service) openStores(ctx context.Context) (session.Store, scopes.Store, error) {
	conn := s.deps.Bus
	if err := conn.EnsureStreams(ctx); err != nil {
		return nil, nil, err
	}
	var store session.Store
	if s.deps.Redis != nil {
		store = redisstore.New(s.deps.Redis, s.cfg.RedisKeyPrefix)
	} else {
		kv, err := kvstore.Open(ctx, conn.JS, conn.Cfg.Name("parley_sessions"), conn.Cfg.Replicas, s.cfg.MaxSessionLifetime)
		if err != nil {
			return nil, nil, err
		}
		store = kv
	}
	// Timed under the cache: it measures the calls that reach the store.
	store, err := session.Timed(store, s.deps.Meter)
	if err != nil {
		return nil, nil, run.Permanent(err)
	}
	if s.cfg.SessionCacheSize > 0 {
		store = session.NewCached(store, s.cfg.SessionCacheSize, s.cfg.SessionCacheTTL)
	}
	// The shared scopes live where every replica sees them: Redis when
	// configured, else a JetStream KV bucket.
	if s.deps.Redis != nil {
		return store, scopes.NewRedis(s.deps.Redis, s.cfg.RedisKeyPrefix), nil
	}
	kv, err := scopes.NewKV(ctx, conn.JS, conn.Cfg.Name("parley_scopes"), conn.Cfg.Replicas)
	if err != nil {
		return nil, nil, err
	}
	return store, kv, nil
}

type botSet struct {
	mu   sync.RWMutex
	bots map[string]*engine.Bot
}

func (b *botSet) Bot(id string) (*engine.Bot, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	def, ok := b.bots[id]
	return def, ok
}

func sanitize(s string) string {
	if s == "" {
		return "dialog"
	}
	return bus.SubjectToken(s)
}

// channelOverrides reads channel-specific standard responses from the
// registry view.
type channelOverrides struct{ reg registry.View }

func (c channelOverrides) StandardResponses(botID, instanceID string) map[string]string {
	in, ok := c.reg.Instance(botID, instanceID)
	if !ok {
		return nil
	}
	return in.StandardResponses
}
