package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/chaos/internal/servers"
)

// retrySchedule is the chaos channel's delivery retry schedule: the
// default one (0, 2 s, 10 s, 1 min, 5 min, 30 min) compressed so that a
// phase drains in minutes, not hours. What it changes is when a failed
// delivery is tried again, not whether.
const retrySchedule = "[0s, 1s, 2s, 5s, 10s, 10s, 20s, 30s, 60s, 120s]"

// parleyConfig is the config file every Parley process of a phase reads:
// the NATS cluster (streams replicated on all three nodes), Redis, and
// the chaos bot on an asynchronous channel that POSTs to the receiver.
// redisSection is the body of the redis: key.
func parleyConfig(botDir, natsURL, redisSection, postURL string, s secrets) string {
	return fmt.Sprintf(`log:
  level: info
  format: json
nats:
  url: %q
  partitions: 16
  replicas: 3
redis:
%s
ingress:
  listen: 127.0.0.1:0
dialog:
  allow_private_service_targets: false
dispatcher:
  # The receiver is on loopback.
  allow_private_networks: true
channels:
  listen: 127.0.0.1:0
  store: kv
  master_key: %q
  admin_tokens:
    - token: %q
      role: bots_admin
      name: chaos
ops:
  listen: 127.0.0.1:0
  shutdown_delay: 0s
registry:
  apps:
    - client_id: %s
      name: Chaos app
      client_secret: %q
      algorithms: [HS256]
  bots:
    - id: %s
      name: Chaos Echo
      path: %q
  instances:
    - bot_id: %s
      instance_id: %s
      name: Chaos
      app: %s
      mode: async
      enabled: true
      approved: true
      post_url: %q
      access_token: %q
      signing_secrets: [%q]
      retry_schedule: %s
`, natsURL, redisSection, s.masterKey, randomText(16), appID, s.clientSecret, botID, botDir,
		botID, instanceID, appID, postURL, s.accessToken, s.signingSecret, retrySchedule)
}

// cleanEnv is the suite's environment without PARLEY_* variables, which
// would override the generated config.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}

func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = fmt.Sprintf("%q", it)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// sentinelSection is the body of a redis: key that reaches Redis through
// Sentinel; %q is the master name and %s the address list.
const sentinelSection = "  sentinel:\n    master_name: %q\n    addrs: %s\n"

// detectSentinel asks the parley binary whether its config takes a Redis
// Sentinel section; it returns the section's format, or "" when the
// binary refuses the sentinel key (the config is strict, so an unknown
// key fails -config.verify). Any other refusal is an error.
func detectSentinel(opts Options, dir string) (string, error) {
	section := fmt.Sprintf(sentinelSection, servers.SentinelMaster, yamlList([]string{"127.0.0.1:26379"}))
	cfg := parleyConfig(opts.Bot, "nats://127.0.0.1:4222", section, "http://127.0.0.1:1/replies", newSecrets())
	path := filepath.Join(dir, "sentinel-check.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("sentinel check: %w", err)
	}
	cmd := exec.Command(opts.Parley, "-config.file", path, "-config.verify")
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return sentinelSection, nil
	case errors.As(err, &exit) && strings.Contains(string(out), "sentinel"):
		return "", nil
	}
	return "", fmt.Errorf("parley -config.verify of the chaos config: %w\n%s", err, out)
}
