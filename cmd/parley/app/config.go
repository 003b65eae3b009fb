package app

import (
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/config"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/natsembed"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/dialog"
	"github.com/parleyhq/parley/services/dispatcher"
	"github.com/parleyhq/parley/services/ingress"
)

// Config is the whole process configuration: one section per service plus
// the shared plumbing.
type Config struct {
	// DataDir holds the embedded NATS server's files.
	DataDir    string            `yaml:"data_dir"`
	Log        logx.Config       `yaml:"log"`
	NATS       NATSConfig        `yaml:"nats"`
	Redis      RedisConfig       `yaml:"redis"`
	Ingress    ingress.Config    `yaml:"ingress"`
	Dialog     dialog.Config     `yaml:"dialog"`
	Dispatcher dispatcher.Config `yaml:"dispatcher"`
	Channels   channels.Config   `yaml:"channels"`
	// Ops serves /livez, /readyz and /metrics.
	Ops opsserver.Config `yaml:"ops"`
	// Registry is the declarative list of apps, bots and webhook instances.
	Registry registry.Config `yaml:"registry"`
}

// NATSConfig selects an external server (url) or the embedded one.
type NATSConfig struct {
	bus.Config `yaml:",inline"`
	Embedded   natsembed.Config `yaml:"embedded"`
}

// RedisConfig selects Redis for sessions, the jti set and the
// Idempotency-Key records; without a URL they live in JetStream KV.
type RedisConfig struct {
	URL string `yaml:"url"`
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the configuration used without -config.file: the embedded
// NATS server and the banking sample bot.
func DefaultYAML() []byte { return defaultYAML }

// Load reads path (the built-in default when empty), applies defaults and
// resolves bot paths relative to the file.
func Load(path string) (Config, error) {
	var cfg Config
	base := "."
	if path == "" {
		if err := config.Decode(defaultYAML, &cfg); err != nil {
			return cfg, fmt.Errorf("built-in config: %w", err)
		}
	} else {
		if err := config.LoadFile(path, &cfg); err != nil {
			return cfg, err
		}
		base = filepath.Dir(path)
	}
	for i, b := range cfg.Registry.Bots {
		if b.Path != "" && !filepath.IsAbs(b.Path) {
			cfg.Registry.Bots[i].Path = filepath.Join(base, b.Path)
		}
	}
	return cfg, nil
}

// Defaults fills every zero field.
func (c *Config) Defaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.Log.Defaults()
	c.NATS.Config.Defaults()
	if c.NATS.Embedded.StoreDir == "" {
		c.NATS.Embedded.StoreDir = filepath.Join(c.DataDir, "nats")
	}
	c.Ingress.Defaults()
	c.Dialog.Defaults()
	c.Dispatcher.Defaults()
	c.Channels.Defaults()
	c.Ops.Defaults()
}

// validateEmbeddedReplicas refuses more than one replica on the embedded
// server: it is a single node, so streams of 3 could never be created and
// the process would wait for them forever.
func (c Config) validateEmbeddedReplicas() error {
	if c.NATS.URL == "" && c.NATS.Replicas > 1 {
		return errors.New("nats.replicas: the embedded server is a single node: use 1, or nats.url for a cluster")
	}
	return nil
}

// Validate reports every invalid key.
func (c Config) Validate() error {
	return errors.Join(
		c.Log.Validate(),
		c.NATS.Config.Validate(),
		c.validateEmbeddedReplicas(),
		c.Ingress.Validate(),
		c.Dialog.Validate(),
		c.Dispatcher.Validate(),
		c.Channels.Validate(),
		c.Ops.Validate(),
		c.Registry.Validate(),
	)
}
