// Package dispatcher delivers asynchronous replies to each webhook channel's
// POST_URL.
//
// In this first version it only prepares the replies stream; delivery with
// retries, ordering and dead letters is the subject of its own change.
package dispatcher

import (
	"context"
	"errors"
	"log/slog"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/registry"
)

// Config of the dispatcher.
type Config struct{}

// Defaults fills zero fields.
func (c *Config) Defaults() {}

// Validate reports the first invalid key.
func (c Config) Validate() error { return nil }

// Deps are what the dispatcher is given.
type Deps struct {
	Bus      *bus.Conn
	Registry registry.View
	Logger   *slog.Logger
}

// Service is a running dispatcher.
type Service struct {
	cfg  Config
	deps Deps
}

// New validates the configuration.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil || deps.Registry == nil || deps.Logger == nil {
		return nil, errors.New("dispatcher: bus, registry and logger are required")
	}
	return &Service{cfg: cfg, deps: deps}, nil
}

// Run prepares the streams and waits for ctx.
func (s *Service) Run(ctx context.Context) error {
	if err := s.deps.Bus.EnsureStreams(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
