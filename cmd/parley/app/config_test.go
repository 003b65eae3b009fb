package app

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/parleyhq/parley/services/channels"
)

// builtIn is the built-in configuration with the development secrets (the
// environment variables that would replace them are unset).
func builtIn(t *testing.T) Config {
	t.Helper()
	t.Setenv("PARLEY_MASTER_KEY", "")
	t.Setenv("PARLEY_ADMIN_TOKEN", "")
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Defaults()
	if cfg.Channels.MasterKey != channels.DevelopmentMasterKey || cfg.Channels.AdminTokens[0].Token != channels.DevelopmentAdminToken {
		t.Fatalf("the built-in config's development secrets changed; update services/channels' Development* constants: %q %q",
			cfg.Channels.MasterKey, cfg.Channels.AdminTokens[0].Token)
	}
	return cfg
}

// TestProductionRefusesDevelopmentSecrets: the built-in configuration runs
// on loopback; set production, or make any listen address reachable from
// other hosts, and its development master key and admin token are refused
// with an error naming each key.
func TestProductionRefusesDevelopmentSecrets(t *testing.T) {
	if err := builtIn(t).Validate(); err != nil {
		t.Fatalf("the built-in config on loopback: %v", err)
	}
	for _, addr := range []string{"localhost:8080", "[::1]:8080", "127.0.0.2:8080"} {
		cfg := builtIn(t)
		cfg.Ingress.Listen = addr
		if err := cfg.Validate(); err != nil {
			t.Errorf("ingress.listen %s is loopback: %v", addr, err)
		}
	}

	cases := []struct {
		name   string
		change func(*Config)
		why    string
	}{
		{"explicit", func(c *Config) { c.Production = true }, "production is set"},
		{"ingress on every interface", func(c *Config) { c.Ingress.Listen = ":8080" }, "ingress.listen"},
		{"ingress on 0.0.0.0", func(c *Config) { c.Ingress.Listen = "0.0.0.0:8080" }, "ingress.listen"},
		{"channels admin", func(c *Config) { c.Channels.Listen = "[::]:9090" }, "channels.listen"},
		{"ops", func(c *Config) { c.Ops.Listen = "0.0.0.0:9100" }, "ops.listen"},
		{"embedded NATS", func(c *Config) { c.NATS.Embedded.Listen = "0.0.0.0:4222" }, "nats.embedded.listen"},
		{"a host name", func(c *Config) { c.Ingress.Listen = "parley.internal:8080" }, "ingress.listen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := builtIn(t)
			tc.change(&cfg)
			err := cfg.Validate()
			for _, want := range []string{tc.why, "channels.master_key", "PARLEY_MASTER_KEY", "channels.admin_tokens[0].token", "PARLEY_ADMIN_TOKEN"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %v, want an error naming %q", err, want)
				}
			}
		})
	}
}

// TestProductionWithOperatorSecrets: production with secrets from the
// environment starts.
func TestProductionWithOperatorSecrets(t *testing.T) {
	t.Setenv("PARLEY_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("an-operator-chosen-key-32-bytes!")))
	t.Setenv("PARLEY_ADMIN_TOKEN", "an-operator-chosen-admin-token")
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Defaults()
	cfg.Production = true
	cfg.Ingress.Listen = "0.0.0.0:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("production with the operator's secrets: %v", err)
	}
}
