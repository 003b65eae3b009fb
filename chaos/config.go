package main

import "fmt"

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
  admin_listen: ""
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
