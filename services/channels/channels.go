// Package channels is the registry of apps, bots and webhook channel
// instances, with its gRPC admin API.
package channels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels/internal/grpcadmin"
)

// Config of the channels service.
type Config struct {
	// Listen is the gRPC admin address.
	Listen string `yaml:"listen"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9090"
	}
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("channels.listen: %w", err)
	}
	return nil
}

// Deps are what the service is given.
type Deps struct {
	Registry registry.View
	Logger   *slog.Logger
}

// Service is the running registry.
type Service struct {
	cfg   Config
	deps  Deps
	ready chan struct{}
	addr  net.Addr
}

// New validates the configuration.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Registry == nil || deps.Logger == nil {
		return nil, errors.New("channels: registry and logger are required")
	}
	return &Service{cfg: cfg, deps: deps, ready: make(chan struct{})}, nil
}

// Ready is closed once the listener is bound.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address, valid after Ready.
func (s *Service) Addr() net.Addr { return s.addr }

// Run serves the admin API until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("channels.listen %s: %w", s.cfg.Listen, err)
	}
	s.addr = ln.Addr()
	srv := grpc.NewServer()
	channelsv1.RegisterChannelAdminServer(srv, &grpcadmin.Server{Registry: s.deps.Registry})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	close(s.ready)
	s.deps.Logger.Info("channels admin API listening", "service", "channels", "addr", s.addr.String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve grpc: %w", err)
	case <-ctx.Done():
	}
	hs.Shutdown()
	srv.GracefulStop()
	return nil
}
