// Package channels is the registry of apps, bots and webhook channel
// instances, with its gRPC admin API.
//
// With store "kv" the registry lives in JetStream: the records of
// parley.registry.v1 in a KV bucket (every write a compare-and-set on the
// key's revision), bot definitions in an object store, secrets sealed with
// the master key. This service is the only writer (internal/store). Every
// service reads the registry through platform/registry's Watched view, which
// a KV watch keeps current, so an approval or a disable reaches every
// replica within milliseconds and no request waits on a remote call. The
// config file's registry section is applied at start through the same
// operations as the API.
//
// With store "static" (the default until deployments move over) the
// registry is the config file and the API is read-only.
package channels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
	"github.com/parleyhq/parley/services/channels/internal/grpcadmin"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// Registry stores.
const (
	StoreStatic = "static"
	StoreKV     = "kv"
)

// Roles of admin tokens.
const (
	RoleDeveloper = string(grpcadmin.RoleDeveloper)
	RoleBotsAdmin = string(grpcadmin.RoleBotsAdmin)
)

// Config of the channels service.
type Config struct {
	// Listen is the gRPC admin address.
	Listen string `yaml:"listen"`
	// Store is "static" (the config file, read-only API) or "kv".
	Store string `yaml:"store"`
	// MasterKey seals secrets at rest (32 bytes, base64 or hex); required
	// with store kv, and the same in every process. Put it in the
	// environment: master_key: ${PARLEY_MASTER_KEY}.
	MasterKey string `yaml:"master_key"`
	// AdminTokens authenticate admin calls; without any, every call is
	// refused.
	AdminTokens []AdminToken `yaml:"admin_tokens"`
	TLS         TLSConfig    `yaml:"tls"`
	// SecretOverlap is how long a rotated secret stays valid by default.
	SecretOverlap time.Duration `yaml:"secret_overlap"`
}

// AdminToken is a bearer token of the admin API and its role.
type AdminToken struct {
	Token string `yaml:"token"`
	// Role is developer or bots_admin; only a bots admin approves.
	Role string `yaml:"role"`
	// Name identifies the holder in approvals; default the role.
	Name string `yaml:"name"`
}

// TLSConfig enables TLS on the admin API when both files are set.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9090"
	}
	if c.Store == "" {
		c.Store = StoreStatic
	}
	if c.SecretOverlap == 0 {
		c.SecretOverlap = 24 * time.Hour
	}
}

// Validate reports every invalid key.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("channels.listen: %w", err))
	}
	switch c.Store {
	case StoreStatic:
	case StoreKV:
		if _, err := registry.ParseMasterKey(c.MasterKey); err != nil {
			errs = append(errs, fmt.Errorf("channels.master_key: %w", err))
		}
	default:
		errs = append(errs, fmt.Errorf("channels.store: %q is not static or kv", c.Store))
	}
	var seen []string
	for i, t := range c.AdminTokens {
		if len(t.Token) < 16 {
			errs = append(errs, fmt.Errorf("channels.admin_tokens[%d].token: must be at least 16 characters", i))
		}
		if slices.Contains(seen, t.Token) {
			errs = append(errs, fmt.Errorf("channels.admin_tokens[%d].token: listed twice", i))
		}
		seen = append(seen, t.Token)
		if t.Role != RoleDeveloper && t.Role != RoleBotsAdmin {
			errs = append(errs, fmt.Errorf("channels.admin_tokens[%d].role: %q is not developer or bots_admin", i, t.Role))
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("channels.tls: cert_file and key_file go together"))
	}
	if c.SecretOverlap < 0 || c.SecretOverlap > 30*24*time.Hour {
		errs = append(errs, errors.New("channels.secret_overlap: must be between 0 and 720h"))
	}
	return errors.Join(errs...)
}

// Deps are what the service is given.
type Deps struct {
	// Registry is the static view (store static).
	Registry registry.View
	// Bus holds the KV registry (store kv).
	Bus *bus.Conn
	// Bootstrap is the config file's registry section, applied at start
	// (store kv).
	Bootstrap registry.Config
	// View, optional with store kv, is the process's watched view; writes
	// return once it has applied them.
	View   *registry.Watched
	Logger *slog.Logger
	// Register adds other services to the admin server, behind the same
	// authentication (the dispatcher's DeadLetterAdmin).
	Register []func(*grpc.Server)
}

// Service is the running registry.
type Service struct {
	cfg   Config
	deps  Deps
	ready chan struct{}
	addr  net.Addr
}

// New validates the configuration; it opens nothing.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		return nil, errors.New("channels: logger is required")
	}
	if cfg.Store == StoreKV && deps.Bus == nil {
		return nil, errors.New("channels: store kv needs the bus")
	}
	if cfg.Store == StoreStatic && deps.Registry == nil {
		return nil, errors.New("channels: store static needs the registry view")
	}
	return &Service{cfg: cfg, deps: deps, ready: make(chan struct{})}, nil
}

// Ready is closed once the listener is bound.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address, valid after Ready.
func (s *Service) Addr() net.Addr { return s.addr }

// Run serves the admin API until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	log := s.deps.Logger.With("service", "channels")
	var impl channelsv1.ChannelAdminServer = &grpcadmin.StaticServer{Registry: s.deps.Registry}
	if s.cfg.Store == StoreKV {
		var svc *admin.Service
		var applied admin.Applied
		// NATS may not be there yet: wait for it rather than exit.
		err := run.Retry(ctx, log, "channels setup", func(ctx context.Context) (err error) {
			if svc, err = openAdmin(ctx, s.deps.Bus, s.cfg); err != nil {
				return err
			}
			if applied, err = svc.Bootstrap(ctx, s.deps.Bootstrap); err != nil {
				return fmt.Errorf("apply the config's registry section: %w", err)
			}
			return nil
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		log.Info("registry bootstrap applied", "created", applied.Created, "updated", applied.Updated)
		srv := &grpcadmin.Server{Admin: svc}
		if s.deps.View != nil {
			srv.Sync = s.deps.View.WaitRevision
		}
		impl = srv
	}

	var tokens []grpcadmin.Token
	for _, t := range s.cfg.AdminTokens {
		tokens = append(tokens, grpcadmin.Token{Token: t.Token, Role: grpcadmin.Role(t.Role), Name: t.Name})
	}
	if len(tokens) == 0 {
		log.Warn("no channels.admin_tokens configured: every admin call will be refused")
	}
	guard := grpcadmin.NewGuard(tokens, log)
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(guard.Unary),
		grpc.ChainStreamInterceptor(guard.Stream),
		grpc.MaxRecvMsgSize(registry.MaxBotArchiveBytes + 1<<20),
	}
	if s.cfg.TLS.CertFile != "" {
		creds, err := credentials.NewServerTLSFromFile(s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("channels.tls: %w", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("channels.listen %s: %w", s.cfg.Listen, err)
	}
	s.addr = ln.Addr()
	srv := grpc.NewServer(opts...)
	channelsv1.RegisterChannelAdminServer(srv, impl)
	for _, reg := range s.deps.Register {
		reg(srv)
	}
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	close(s.ready)
	log.Info("channels admin API listening", "addr", s.addr.String(), "store", s.cfg.Store, "tls", s.cfg.TLS.CertFile != "")
	select {
	case err := <-errc:
		return fmt.Errorf("serve grpc: %w", err)
	case <-ctx.Done():
	}
	hs.Shutdown()
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		srv.Stop()
	}
	return nil
}

func openAdmin(ctx context.Context, conn *bus.Conn, cfg Config) (*admin.Service, error) {
	store, sealer, err := openStore(ctx, conn, cfg)
	if err != nil {
		return nil, err
	}
	return &admin.Service{Store: store, Sealer: sealer, Overlap: cfg.SecretOverlap}, nil
}

func openStore(ctx context.Context, conn *bus.Conn, cfg Config) (*store.Store, *store.Sealer, error) {
	key, err := registry.ParseMasterKey(cfg.MasterKey)
	if err != nil {
		return nil, nil, run.Permanent(fmt.Errorf("channels.master_key: %w", err))
	}
	sealer, err := store.NewSealer(key)
	if err != nil {
		return nil, nil, run.Permanent(err)
	}
	st, err := store.Open(ctx, conn.JS, store.Config{
		Registry: conn.Cfg.Name(registry.RegistryBucket),
		Bots:     conn.Cfg.Name(registry.BotsBucket),
		Replicas: conn.Cfg.Replicas,
	})
	if err != nil {
		return nil, nil, err
	}
	return st, sealer, nil
}

// OpenRegistry opens the KV registry, applies the config's registry section
// (idempotent; safe in every process) and returns a view that follows the
// registry until it is closed. botDir receives published bot versions (see
// registry.WatchedConfig.BotDir).
func OpenRegistry(ctx context.Context, conn *bus.Conn, cfg Config, bootstrap registry.Config, botDir string, log *slog.Logger) (*registry.Watched, error) {
	cfg.Defaults()
	svc, err := openAdmin(ctx, conn, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := svc.Bootstrap(ctx, bootstrap); err != nil {
		return nil, fmt.Errorf("apply the config's registry section: %w", err)
	}
	// The caller bounds the first read (ctx): under load it can take long.
	return registry.NewWatched(ctx, svc.Store.Source(), registry.WatchedConfig{Sealer: svc.Sealer.Sealer, BotDir: botDir, Logger: log})
}
