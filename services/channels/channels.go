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
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/parleyhq/parley/platform/adminauth"
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

// Roles of admin tokens, from least to most trusted (platform/adminauth).
const (
	RoleViewer    = string(adminauth.RoleViewer)
	RoleDeveloper = string(adminauth.RoleDeveloper)
	RoleBotsAdmin = string(adminauth.RoleBotsAdmin)
)

// Config of the channels service.
type Config struct {
	// Listen is the admin gRPC address: the one admin endpoint, which also
	// serves the dispatcher's admin services (Deps.AdminServices).
	Listen string `yaml:"listen"`
	// Store is "static" (the config file, read-only API) or "kv".
	Store string `yaml:"store"`
	// MasterKey seals secrets at rest (32 bytes, base64 or hex); required
	// with store kv, and the same in every process. Put it in the
	// environment: master_key: ${PARLEY_MASTER_KEY}.
	MasterKey string `yaml:"master_key"`
	// AdminTokens authenticate admin calls; without any, every call is
	// refused. Put the tokens in the environment:
	// token: ${PARLEY_ADMIN_TOKEN}.
	AdminTokens []AdminToken `yaml:"admin_tokens"`
	TLS         TLSConfig    `yaml:"tls"`
	// SecretOverlap is how long a rotated secret stays valid by default.
	SecretOverlap time.Duration `yaml:"secret_overlap"`
}

// The built-in configuration's development secrets (cmd/parley/app's
// default.yaml falls back to them when PARLEY_MASTER_KEY and
// PARLEY_ADMIN_TOKEN are unset). They are published with the source, so
// ValidateProduction refuses them.
const (
	DevelopmentMasterKey  = "cGFybGV5LWxvY2FsLWRldmVsb3BtZW50LW9ubHkhISE="
	DevelopmentAdminToken = "local-admin-token-change-me"
)

// ValidateProduction reports each key that holds a development secret:
// anyone could unseal the registry's secrets with the development master
// key, or administer the registry with the development token.
func (c Config) ValidateProduction() error {
	var errs []error
	dev, _ := registry.ParseMasterKey(DevelopmentMasterKey)
	if key, err := registry.ParseMasterKey(c.MasterKey); err == nil && string(key) == string(dev) {
		errs = append(errs, errors.New("channels.master_key: the built-in development key is refused in production; set PARLEY_MASTER_KEY to 32 random bytes (openssl rand -base64 32)"))
	}
	for i, t := range c.AdminTokens {
		if t.Token == DevelopmentAdminToken {
			errs = append(errs, fmt.Errorf("channels.admin_tokens[%d].token: the built-in development token is refused in production; set PARLEY_ADMIN_TOKEN to a random secret (openssl rand -hex 24)", i))
		}
	}
	return errors.Join(errs...)
}

// AdminToken is a bearer token of the admin API and its role.
type AdminToken struct {
	Token string `yaml:"token"`
	// Role is viewer (reads), developer (changes, replays, sends) or
	// bots_admin (also approves channels).
	Role string `yaml:"role"`
	// Name identifies the holder in approvals; default the role.
	Name string `yaml:"name"`
}

func (c Config) adminTokens() []adminauth.Token {
	out := make([]adminauth.Token, 0, len(c.AdminTokens))
	for _, t := range c.AdminTokens {
		out = append(out, adminauth.Token{Token: t.Token, Role: adminauth.Role(t.Role), Name: t.Name})
	}
	return out
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
	if err := adminauth.ValidateTokens("channels.admin_tokens", c.adminTokens()); err != nil {
		errs = append(errs, err)
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
	// AdminServices are served beside ChannelAdmin, behind the same
	// authentication, each method with the role its policy names (the
	// dispatcher's, forwarded over the bus).
	AdminServices []adminauth.Service
}

// Service is the running registry.
type Service struct {
	cfg    Config
	deps   Deps
	policy adminauth.Policy
	ready  chan struct{}
	addr   net.Addr
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
	policies := []adminauth.Policy{grpcadmin.Policy, adminauth.HealthPolicy}
	for _, svc := range deps.AdminServices {
		policies = append(policies, svc.Policy)
	}
	policy, err := adminauth.Merge(policies...)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	return &Service{cfg: cfg, deps: deps, policy: policy, ready: make(chan struct{})}, nil
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

	srv, err := s.adminServer(log)
	if err != nil {
		return err
	}
	channelsv1.RegisterChannelAdminServer(srv, impl)
	for _, svc := range s.deps.AdminServices {
		svc.Register(srv)
	}
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	if err := s.policy.Covers(srv); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("channels.listen %s: %w", s.cfg.Listen, err)
	}
	s.addr = ln.Addr()
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

// adminServer is the admin gRPC server: every call authenticated and
// authorized against the admin tokens and the policy before its handler
// runs, panics recovered and errors mapped to codes (grpcadmin.Errors), TLS
// when configured.
func (s *Service) adminServer(log *slog.Logger) (*grpc.Server, error) {
	if len(s.cfg.AdminTokens) == 0 {
		log.Warn("no channels.admin_tokens configured: every admin call will be refused")
	}
	guard := adminauth.NewGuard(s.cfg.adminTokens(), s.policy)
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(grpcadmin.Errors{Log: log}.Unary),
		grpc.MaxRecvMsgSize(registry.MaxBotArchiveBytes + 1<<20),
	}, guard.Interceptors(log)...)
	if s.cfg.TLS.CertFile != "" {
		creds, err := credentials.NewServerTLSFromFile(s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("channels.tls: %w", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	return grpc.NewServer(opts...), nil
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
