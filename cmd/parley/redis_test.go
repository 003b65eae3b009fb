package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/redisx"
)

// TestRedisSentinelAndClusterFromTheEnvironment: the Sentinel and Cluster
// forms are set by PARLEY_ variables like the other settings, and a
// mixture of forms fails at start naming the keys.
func TestRedisSentinelAndClusterFromTheEnvironment(t *testing.T) {
	t.Setenv("PARLEY_REDIS_SENTINEL_MASTER_NAME", "mymaster")
	t.Setenv("PARLEY_REDIS_SENTINEL_ADDRS", "10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26379")
	t.Setenv("PARLEY_REDIS_SENTINEL_PASSWORD", "sentinel-secret")
	t.Setenv("PARLEY_REDIS_PASSWORD", "data-secret")
	f, _, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := app.Load("")
	if err != nil {
		t.Fatal(err)
	}
	f.apply(&cfg)
	r := cfg.Redis
	if r.Mode() != redisx.ModeSentinel || r.Sentinel.MasterName != "mymaster" || r.Sentinel.Password != "sentinel-secret" || r.Password != "data-secret" ||
		!slices.Equal(r.Sentinel.Addrs, []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}) {
		t.Fatalf("redis config %+v", r)
	}
	if _, err := app.New(cfg, logx.Discard()); err != nil {
		t.Fatalf("a Sentinel configuration is refused: %v", err)
	}

	t.Setenv("PARLEY_REDIS_CLUSTER_ADDRS", "10.0.1.1:6379")
	f, _, err = parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = app.Load("")
	f.apply(&cfg)
	_, err = app.New(cfg, logx.Discard())
	if err == nil || !strings.Contains(err.Error(), "redis.sentinel and redis.cluster") {
		t.Fatalf("Sentinel and Cluster together: %v; want an error naming the keys", err)
	}
}
