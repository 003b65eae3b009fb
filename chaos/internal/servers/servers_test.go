package servers

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/parleyhq/parley/chaos/internal/proc"
)

// These tests start real servers; they run only when CHAOS_SERVER_TESTS=1
// (make chaos-tools installs nats-server; CHAOS_NATS_SERVER names it).

func needServers(t *testing.T) {
	if os.Getenv("CHAOS_SERVER_TESTS") != "1" {
		t.Skip("set CHAOS_SERVER_TESTS=1 to start real nats-server and redis-server processes")
	}
}

func TestSentinelFailover(t *testing.T) {
	needServers(t)
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip(err)
	}
	g := &proc.Group{}
	defer stopAll(t, g)
	ctx := context.Background()
	r, err := StartRedis(ctx, g, bin, t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	before, err := r.masterAddr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took, err := r.Failover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := r.masterAddr(ctx)
	if err != nil || after == before {
		t.Fatalf("master %s before, %s after (%v)", before, after, err)
	}
	t.Logf("failover %s -> %s in %s", before, after, took)
}

func TestNATSClusterRestarts(t *testing.T) {
	needServers(t)
	bin := os.Getenv("CHAOS_NATS_SERVER")
	if bin == "" {
		t.Skip("CHAOS_NATS_SERVER names no nats-server")
	}
	g := &proc.Group{}
	defer stopAll(t, g)
	ctx := context.Background()
	c, err := StartNATSCluster(ctx, g, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Busiest().Restart(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// stopAll stops the test's servers. A server the test killed may report how
// it died, so errors are logged rather than failing the test.
func stopAll(t *testing.T, g *proc.Group) {
	t.Helper()
	if err := g.StopAll(5 * time.Second); err != nil {
		t.Logf("stopping the servers: %v", err)
	}
}
