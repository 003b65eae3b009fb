package app

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/config"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/natsembed"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/redisx"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/dialog"
	"github.com/parleyhq/parley/services/dispatcher"
	"github.com/parleyhq/parley/services/ingress"
)

// Config is the whole process configuration: one section per service plus
// the shared plumbing.
type Config struct {
	// Production refuses the built-in development secrets (see
	// ValidateProduction). It is implied by any listen address that is not
	// loopback; -production or PARLEY_PRODUCTION=true also turn it on.
	Production bool `yaml:"production"`
	// DataDir holds the embedded NATS server's files.
	DataDir    string            `yaml:"data_dir"`
	Log        logx.Config       `yaml:"log"`
	NATS       NATSConfig        `yaml:"nats"`
	Redis      redisx.Config     `yaml:"redis"`
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
	c.NATS.Defaults()
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
		c.NATS.Validate(),
		c.Redis.Validate(),
		c.validateEmbeddedReplicas(),
		c.Ingress.Validate(),
		c.Dialog.Validate(),
		c.Dispatcher.Validate(),
		c.Channels.Validate(),
		c.Ops.Validate(),
		c.Registry.Validate(),
		c.ValidateProduction(),
	)
}

// ValidateProduction refuses the development master key and admin token in
// production: when Production is set, or when a listen address is not
// loopback, since then others can reach the process and those secrets are
// published with the source.
func (c Config) ValidateProduction() error {
	why := "production is set"
	if !c.Production {
		key, addr, exposed := c.exposedListen()
		if !exposed {
			return nil
		}
		why = fmt.Sprintf("%s %q is not a loopback address", key, addr)
	}
	if err := c.Channels.ValidateProduction(); err != nil {
		return fmt.Errorf("%w\n(production mode is on: %s)", err, why)
	}
	return nil
}

// exposedListen returns the first listen address other hosts can reach.
func (c Config) exposedListen() (key, addr string, exposed bool) {
	listens := []struct{ key, addr string }{
		{"ingress.listen", c.Ingress.Listen},
		{"channels.listen", c.Channels.Listen},
		{"ops.listen", c.Ops.Listen},
		{"nats.embedded.listen", c.NATS.Embedded.Listen},
	}
	for _, l := range listens {
		if l.addr != "" && !isLoopback(l.addr) {
			return l.key, l.addr, true
		}
	}
	return "", "", false
}

// isLoopback reports whether addr (host:port) listens on loopback only. An
// empty host listens on every interface; a host name other than localhost
// may resolve to anything, so it counts as exposed.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
