package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/platform/polltest"
)

// MasterName is the name the fixture's Sentinels monitor.
const MasterName = "mymaster"

// Sentinel is a primary, one replica and three Sentinels (quorum 2) on
// loopback ports, tuned to fail over within a few seconds of the primary's
// death.
type Sentinel struct {
	Primary, Replica *Server
	Sentinels        []*Server
}

// StartSentinel starts the deployment and returns once every Sentinel
// knows the replica and the two other Sentinels, so that a failover can be
// agreed on, and the replica is in sync.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	primary := StartServer(t)
	replica := StartServer(t, "--replicaof", "127.0.0.1", fmt.Sprint(primary.Port()))
	d := &Sentinel{Primary: primary, Replica: replica}
	for range 3 {
		d.Sentinels = append(d.Sentinels, startSentinel(t, primary))
	}
	polltest.UntilNil(t, "the replica in sync", 10*time.Second, func() error {
		return linkUp(replica)
	})
	polltest.UntilNil(t, "the Sentinels to know each other and the replica", 15*time.Second, func() error {
		for _, s := range d.Sentinels {
			if err := s.knows(len(d.Sentinels) - 1); err != nil {
				return fmt.Errorf("sentinel %s: %w", s.Addr, err)
			}
		}
		return nil
	})
	return d
}

func startSentinel(t testing.TB, primary *Server) *Server {
	t.Helper()
	bin := binary(t)
	var lastErr error
	for range 3 {
		port, dir := freePort(t), t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		// down-after 1 s: a killed primary is noticed at once; the
		// failover timeout bounds a failed election's retry.
		body := strings.Join([]string{
			fmt.Sprintf("port %d", port),
			"bind 127.0.0.1",
			"dir " + dir,
			"logfile " + filepath.Join(dir, "sentinel.log"),
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", MasterName, primary.Port()),
			fmt.Sprintf("sentinel down-after-milliseconds %s 1000", MasterName),
			fmt.Sprintf("sentinel failover-timeout %s 4000", MasterName),
			fmt.Sprintf("sentinel parallel-syncs %s 1", MasterName),
		}, "\n") + "\n"
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := start(t, bin, dir, port, []string{conf, "--sentinel"})
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("redis sentinel did not start: %v", lastErr)
	return nil
}

// Addrs are the Sentinels' addresses.
func (d *Sentinel) Addrs() []string {
	out := make([]string, len(d.Sentinels))
	for i, s := range d.Sentinels {
		out[i] = s.Addr
	}
	return out
}

// MasterAddr asks the Sentinels which address is the primary now.
func (d *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, s := range d.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		_ = sc.Close()
		if err == nil {
			return addr[0] + ":" + addr[1], nil
		}
		lastErr = err
	}
	return "", lastErr
}

// WaitFailover waits until the Sentinels name a primary other than old
// and that server answers as a writable primary; it returns its address.
func (d *Sentinel) WaitFailover(t testing.TB, old string, timeout time.Duration) string {
	t.Helper()
	var now string
	polltest.UntilNil(t, "a Sentinel failover away from "+old, timeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		addr, err := d.MasterAddr(ctx)
		if err != nil {
			return err
		}
		if addr == old {
			return fmt.Errorf("the Sentinels still name %s", addr)
		}
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer rdb.Close()
		info, err := rdb.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "role:master") {
			return fmt.Errorf("%s is not a primary yet", addr)
		}
		now = addr
		return nil
	})
	return now
}

// knows reports whether this Sentinel sees n other Sentinels and a
// healthy replica.
func (s *Server) knows(n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer sc.Close()
	others, err := sc.Sentinels(ctx, MasterName).Result()
	if err != nil {
		return err
	}
	if len(others) < n {
		return fmt.Errorf("knows %d other Sentinels, want %d", len(others), n)
	}
	replicas, err := sc.Replicas(ctx, MasterName).Result()
	if err != nil {
		return err
	}
	for _, r := range replicas {
		if flags := r["flags"]; flags == "slave" && r["master-link-status"] == "ok" {
			return nil
		}
	}
	return fmt.Errorf("no healthy replica among %v", replicas)
}

// linkUp reports whether a replica's link to its primary is up.
func linkUp(replica *Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: replica.Addr, MaxRetries: -1})
	defer rdb.Close()
	info, err := rdb.Info(ctx, "replication").Result()
	if err != nil {
		return err
	}
	if !strings.Contains(info, "master_link_status:up") {
		return errNotYet
	}
	return nil
}
