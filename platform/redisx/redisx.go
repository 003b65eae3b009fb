// Package redisx builds the go-redis client Parley's stores share from the
// redis section of the configuration, in the three forms operators run
// Redis in:
//
//	redis:
//	  url: redis://:PASSWORD@redis:6379/0   # one server (rediss:// for TLS)
//
//	redis:
//	  sentinel:                             # a primary found through Sentinel
//	    master_name: mymaster
//	    addrs: [sentinel-0:26379, sentinel-1:26379, sentinel-2:26379]
//	    password: ${PARLEY_REDIS_SENTINEL_PASSWORD:-}
//	  password: ${PARLEY_REDIS_PASSWORD:-}  # the data nodes'
//
//	redis:
//	  cluster:                              # Redis Cluster
//	    addrs: [redis-0:6379, redis-1:6379, redis-2:6379]
//
// Every form gives a redis.UniversalClient. Building one opens no
// connection: a Redis that is down at start makes its users fail (and the
// readiness check report it), not the process exit, and the client
// reconnects by itself when Redis is back.
package redisx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Config is the redis section. At most one of URL, Sentinel and Cluster is
// set; none means Parley keeps its state in JetStream KV instead.
type Config struct {
	// URL is a standalone server: redis://[user:password@]host:port/db, or
	// rediss:// for TLS. It carries its own credentials, database and TLS.
	URL      string         `yaml:"url"`
	Sentinel SentinelConfig `yaml:"sentinel"`
	Cluster  ClusterConfig  `yaml:"cluster"`
	// Username and Password authenticate to the data nodes of a Sentinel
	// or Cluster deployment.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DB selects the database behind Sentinel; Redis Cluster has only 0.
	DB int `yaml:"db"`
	// TLS connects to the data nodes (and the Sentinels) over TLS, checking
	// their certificates against the system roots and their host names.
	TLS bool `yaml:"tls"`
}

// SentinelConfig finds the primary through Redis Sentinel and follows its
// failovers.
type SentinelConfig struct {
	MasterName string   `yaml:"master_name"`
	Addrs      []string `yaml:"addrs"`
	// Username and Password authenticate to the Sentinels themselves
	// (their requirepass), which may differ from the data nodes'.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// ClusterConfig lists seed nodes of a Redis Cluster; the client learns the
// others from them.
type ClusterConfig struct {
	Addrs []string `yaml:"addrs"`
}

// Mode is the form of deployment a Config describes.
type Mode string

// Modes.
const (
	ModeNone       Mode = ""
	ModeStandalone Mode = "standalone"
	ModeSentinel   Mode = "sentinel"
	ModeCluster    Mode = "cluster"
)

// Mode reports which form is configured. An invalid mixture reports the
// first set in the order URL, Sentinel, Cluster; Validate refuses it.
func (c Config) Mode() Mode {
	switch {
	case c.URL != "":
		return ModeStandalone
	case c.Sentinel.MasterName != "" || len(c.Sentinel.Addrs) > 0:
		return ModeSentinel
	case len(c.Cluster.Addrs) > 0:
		return ModeCluster
	}
	return ModeNone
}

// Enabled reports whether Redis is configured at all.
func (c Config) Enabled() bool { return c.Mode() != ModeNone }

// Validate reports every invalid key of the redis section.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	sentinel := c.Sentinel.MasterName != "" || len(c.Sentinel.Addrs) > 0 || c.Sentinel.Username != "" || c.Sentinel.Password != ""
	cluster := len(c.Cluster.Addrs) > 0
	if n := count(c.URL != "", sentinel, cluster); n > 1 {
		add("redis: set only one of redis.url, redis.sentinel and redis.cluster")
	}
	if c.URL != "" {
		if err := checkURL(c.URL); err != nil {
			add("redis.url: %w", err)
		}
		for _, f := range []struct {
			key string
			set bool
		}{{"username", c.Username != ""}, {"password", c.Password != ""}, {"db", c.DB != 0}, {"tls", c.TLS}} {
			if f.set {
				add("redis.%s: with redis.url, put it in the URL (redis://user:password@host:port/db, rediss:// for TLS)", f.key)
			}
		}
	}
	if sentinel {
		if c.Sentinel.MasterName == "" {
			add("redis.sentinel.master_name: required with redis.sentinel (the name the Sentinels monitor, e.g. mymaster)")
		}
		if len(c.Sentinel.Addrs) == 0 {
			add("redis.sentinel.addrs: required with redis.sentinel (host:port of each Sentinel)")
		}
		errs = append(errs, checkAddrs("redis.sentinel.addrs", c.Sentinel.Addrs)...)
	}
	if cluster {
		errs = append(errs, checkAddrs("redis.cluster.addrs", c.Cluster.Addrs)...)
		if c.DB != 0 {
			add("redis.db: Redis Cluster has only database 0")
		}
	}
	if c.DB < 0 {
		add("redis.db: must not be negative")
	}
	if c.URL == "" && !sentinel && !cluster && (c.Username != "" || c.Password != "" || c.DB != 0 || c.TLS) {
		add("redis: username, password, db and tls need redis.sentinel or redis.cluster")
	}
	return errors.Join(errs...)
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// checkURL parses a standalone URL without repeating it in the error: it
// may hold a password.
func checkURL(raw string) error {
	if _, err := redis.ParseURL(raw); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("not a redis:// or rediss:// URL: %w", ue.Err)
		}
		return err
	}
	return nil
}

func checkAddrs(key string, addrs []string) []error {
	var errs []error
	for i, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: %q is not host:port", key, i, a))
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s[%d]: port %q is not a number between 1 and 65535", key, i, port))
		}
	}
	return errs
}

// New builds the client for c; it opens no connection. It returns nil
// when Redis is not configured.
func New(c Config) (redis.UniversalClient, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	if c.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch c.Mode() {
	case ModeStandalone:
		opt, err := redis.ParseURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url: %w", checkURL(c.URL))
		}
		return redis.NewClient(opt), nil
	case ModeSentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       c.Sentinel.MasterName,
			SentinelAddrs:    c.Sentinel.Addrs,
			SentinelUsername: c.Sentinel.Username,
			SentinelPassword: c.Sentinel.Password,
			Username:         c.Username,
			Password:         c.Password,
			DB:               c.DB,
			TLSConfig:        tlsConfig,
		}), nil
	case ModeCluster:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:     c.Cluster.Addrs,
			Username:  c.Username,
			Password:  c.Password,
			TLSConfig: tlsConfig,
		}), nil
	}
	return nil, nil
}

// Describe names the deployment for logs, without credentials.
func (c Config) Describe() string {
	switch c.Mode() {
	case ModeStandalone:
		opt, err := redis.ParseURL(c.URL)
		if err != nil {
			return "redis (invalid url)"
		}
		return "redis " + opt.Addr
	case ModeSentinel:
		return fmt.Sprintf("redis sentinel %q via %s", c.Sentinel.MasterName, strings.Join(c.Sentinel.Addrs, ","))
	case ModeCluster:
		return "redis cluster via " + strings.Join(c.Cluster.Addrs, ",")
	}
	return "no redis"
}
