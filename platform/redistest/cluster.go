package redistest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/platform/polltest"
)

// Cluster is a three-primary Redis Cluster on loopback ports, the 16384
// slots split evenly, without replicas.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts the nodes, assigns the slots, joins them and returns
// once every node reports the cluster ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range 3 {
		dir := t.TempDir()
		c.Nodes = append(c.Nodes, StartServer(t, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const slots = 16384
	per := slots / len(c.Nodes)
	for i, n := range c.Nodes {
		rdb := n.Client(t)
		last := (i+1)*per - 1
		if i == len(c.Nodes)-1 {
			last = slots - 1
		}
		if err := rdb.ClusterAddSlotsRange(ctx, i*per, last).Err(); err != nil {
			t.Fatalf("cluster addslots on %s: %v", n.Addr, err)
		}
		if i > 0 {
			if err := c.Nodes[0].Client(t).ClusterMeet(ctx, "127.0.0.1", fmt.Sprint(n.Port())).Err(); err != nil {
				t.Fatalf("cluster meet %s: %v", n.Addr, err)
			}
		}
	}
	polltest.UntilNil(t, "the cluster ok on every node", 20*time.Second, func() error {
		for _, n := range c.Nodes {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
			info, err := rdb.ClusterInfo(cctx).Result()
			_ = rdb.Close()
			cancel()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(c.Nodes))) {
				return fmt.Errorf("%s: cluster not ok yet", n.Addr)
			}
		}
		return nil
	})
	return c
}

// Addrs are the nodes' addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Client is a cluster client, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
