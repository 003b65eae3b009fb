package redisx

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{name: "none", cfg: Config{}},
		{name: "url", cfg: Config{URL: "redis://:pw@127.0.0.1:6379/2"}},
		{name: "tls url", cfg: Config{URL: "rediss://redis.example:6380/0"}},
		{name: "sentinel", cfg: Config{Sentinel: SentinelConfig{MasterName: "mymaster", Addrs: []string{"s0:26379", "[::1]:26379"}, Password: "x"}, Password: "y", DB: 3}},
		{name: "cluster", cfg: Config{Cluster: ClusterConfig{Addrs: []string{"r0:6379", "r1:6379"}}, Password: "y", TLS: true}},
		{name: "bad url scheme", cfg: Config{URL: "http://redis:6379"}, want: []string{"redis.url"}},
		{name: "two forms", cfg: Config{URL: "redis://r:6379", Cluster: ClusterConfig{Addrs: []string{"r0:6379"}}},
			want: []string{"only one of redis.url, redis.sentinel and redis.cluster"}},
		{name: "url with password key", cfg: Config{URL: "redis://r:6379", Password: "x", TLS: true},
			want: []string{"redis.password: with redis.url", "redis.tls: with redis.url"}},
		{name: "sentinel without master", cfg: Config{Sentinel: SentinelConfig{Addrs: []string{"s0:26379"}}},
			want: []string{"redis.sentinel.master_name: required"}},
		{name: "sentinel without addrs", cfg: Config{Sentinel: SentinelConfig{MasterName: "mymaster"}},
			want: []string{"redis.sentinel.addrs: required"}},
		{name: "sentinel bad addr", cfg: Config{Sentinel: SentinelConfig{MasterName: "m", Addrs: []string{"s0:26379", "s1"}}},
			want: []string{"redis.sentinel.addrs[1]", `"s1" is not host:port`}},
		{name: "cluster bad port", cfg: Config{Cluster: ClusterConfig{Addrs: []string{"r0:http"}}},
			want: []string{"redis.cluster.addrs[0]: port"}},
		{name: "cluster db", cfg: Config{Cluster: ClusterConfig{Addrs: []string{"r0:6379"}}, DB: 1},
			want: []string{"redis.db: Redis Cluster has only database 0"}},
		{name: "password alone", cfg: Config{Password: "x"}, want: []string{"need redis.sentinel or redis.cluster"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestURLErrorHidesThePassword: the URL may carry a password, and the
// error ends up in logs and on the terminal.
func TestURLErrorHidesThePassword(t *testing.T) {
	err := Config{URL: "redis://:hunter2@redis:notaport/0"}.Validate()
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Validate() = %v; want an error without the password", err)
	}
	if d := (Config{URL: "redis://:hunter2@redis:6379/0"}).Describe(); strings.Contains(d, "hunter2") || !strings.Contains(d, "redis:6379") {
		t.Fatalf("Describe() = %q", d)
	}
}

func TestNewBuildsTheClientOfEachForm(t *testing.T) {
	none, err := New(Config{})
	if err != nil || none != nil {
		t.Fatalf("New(none) = %v, %v; want nil, nil", none, err)
	}
	forms := []struct {
		cfg  Config
		mode Mode
		is   func(redis.UniversalClient) bool
	}{
		{Config{URL: "redis://127.0.0.1:1/0"}, ModeStandalone, func(c redis.UniversalClient) bool { _, ok := c.(*redis.Client); return ok }},
		// A Sentinel client is a *redis.Client whose dialer asks the
		// Sentinels for the primary.
		{Config{Sentinel: SentinelConfig{MasterName: "mymaster", Addrs: []string{"127.0.0.1:1"}}}, ModeSentinel, func(c redis.UniversalClient) bool { _, ok := c.(*redis.Client); return ok }},
		{Config{Cluster: ClusterConfig{Addrs: []string{"127.0.0.1:1"}}}, ModeCluster, func(c redis.UniversalClient) bool { _, ok := c.(*redis.ClusterClient); return ok }},
	}
	for _, f := range forms {
		if f.cfg.Mode() != f.mode {
			t.Errorf("%+v: mode %q, want %q", f.cfg, f.cfg.Mode(), f.mode)
		}
		// Nothing listens on port 1: building must still succeed, as a
		// Redis that is down at start must not stop the process.
		c, err := New(f.cfg)
		if err != nil {
			t.Fatalf("New(%s) = %v", f.mode, err)
		}
		if !f.is(c) {
			t.Errorf("New(%s) = %T", f.mode, c)
		}
		_ = c.Close()
	}
	if _, err := New(Config{Cluster: ClusterConfig{Addrs: []string{"nope"}}}); err == nil {
		t.Fatal("New accepted an invalid config")
	}
}
