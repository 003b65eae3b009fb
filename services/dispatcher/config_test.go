package dispatcher_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/config"
	"github.com/parleyhq/parley/services/dispatcher"
)

func TestConfigDefaults(t *testing.T) {
	var c dispatcher.Config
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if c.PerAttemptTimeout != 10*time.Second || len(c.RetrySchedule) != 6 || c.RetrySchedule[5] != 30*time.Minute || c.Jitter != 0.2 {
		t.Errorf("defaults %+v", c)
	}
	if c.DisableAfter != 24*time.Hour {
		t.Errorf("disable_after default %v, want the contract's 24h", c.DisableAfter)
	}
}

func TestConfigValidateNamesKeys(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*dispatcher.Config)
		want string
	}{
		{func(c *dispatcher.Config) { c.PerAttemptTimeout = -time.Second }, "dispatcher.per_attempt_timeout:"},
		{func(c *dispatcher.Config) { c.RetrySchedule = []time.Duration{0, -1} }, "dispatcher.retry_schedule[1]:"},
		{func(c *dispatcher.Config) { c.Jitter = 1.5 }, "dispatcher.jitter:"},
		{func(c *dispatcher.Config) { c.MaxConcurrency = -1 }, "dispatcher.max_concurrency:"},
		{func(c *dispatcher.Config) { c.Breaker.FailureRatio = 2 }, "dispatcher.breaker.failure_ratio:"},
		{func(c *dispatcher.Config) { c.AckWait = time.Second }, "dispatcher.ack_wait:"},
		{func(c *dispatcher.Config) { c.MemberID = "a.b" }, "dispatcher.member_id:"},
		{func(c *dispatcher.Config) { c.DisableAfter = -time.Hour }, "dispatcher.disable_after:"},
	} {
		var c dispatcher.Config
		c.Defaults()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
}

// The YAML form: durations. admin_listen is gone: the dispatcher opens no
// admin port, and a configuration that still sets one is told so.
func TestConfigYAML(t *testing.T) {
	var old dispatcher.Config
	if err := config.Decode([]byte("admin_listen: 0.0.0.0:9091\n"), &old); err == nil || !strings.Contains(err.Error(), "admin_listen") {
		t.Errorf("admin_listen accepted: %v", err)
	}
	var c dispatcher.Config
	err := config.Decode([]byte(`
retry_schedule: [0s, 1s, 5s]
per_attempt_timeout: 3s
allow_private_networks: true
breaker:
  failure_ratio: 0.5
`), &c)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.RetrySchedule) != 3 || c.RetrySchedule[2] != 5*time.Second || c.PerAttemptTimeout != 3*time.Second || !c.AllowPrivateNetworks ||
		c.Breaker.FailureRatio != 0.5 {
		t.Errorf("decoded %+v", c)
	}
}

func TestNewRejectsBadSigningSecret(t *testing.T) {
	e := newEnv(t, registryInstance("async", "http://example.com/hook", "whsec_!!!"))
	_, err := dispatcher.New(fastConfig(), dispatcher.Deps{Bus: e.conn, Registry: e.reg, Logger: testLogger()})
	if err == nil || !strings.Contains(err.Error(), "registry.instances[0].signing_secrets[0]") {
		t.Fatalf("New = %v", err)
	}
}
