package servers

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/chaos/internal/proc"
)

// SentinelMaster is the name the sentinels monitor the master under.
const SentinelMaster = "chaos"

// Redis is one Redis server, or with Sentinel a master, a replica and
// three sentinels. No node persists anything: a node that restarts comes
// back empty, which is the harder case for the services.
type Redis struct {
	binary, dir string
	group       *proc.Group
	// Nodes are the data nodes; Nodes[0] starts as the master.
	Nodes     []*RedisNode
	Sentinels []*RedisNode
}

// RedisNode is one redis-server process.
type RedisNode struct {
	*proc.Process
	Port int
}

// Addr is host:port.
func (n *RedisNode) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.Port)) }

// StartRedis starts a standalone server, or with sentinel a master, a
// replica and three sentinels, and waits until they are ready.
func StartRedis(ctx context.Context, g *proc.Group, binary, dir string, sentinel bool) (*Redis, error) {
	r := &Redis{binary: binary, dir: dir, group: g}
	nodes := 1
	if sentinel {
		nodes = 2
	}
	for i := range nodes {
		n, err := r.newNode(fmt.Sprintf("redis-%d", i+1), nil)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			n.Spec.Args = append(n.Spec.Args, "--replicaof", "127.0.0.1", strconv.Itoa(r.Nodes[0].Port))
		}
		r.Nodes = append(r.Nodes, n)
	}
	for _, n := range r.Nodes {
		if err := n.Start(); err != nil {
			return nil, err
		}
		if err := n.waitPing(ctx); err != nil {
			return nil, err
		}
	}
	if !sentinel {
		return r, nil
	}
	for i := range 3 {
		n, err := r.newSentinel(fmt.Sprintf("sentinel-%d", i+1))
		if err != nil {
			return nil, err
		}
		r.Sentinels = append(r.Sentinels, n)
		if err := n.Start(); err != nil {
			return nil, err
		}
		if err := n.waitPing(ctx); err != nil {
			return nil, err
		}
	}
	return r, r.waitSentinelsSeeReplica(ctx)
}

func (r *Redis) newNode(name string, extra []string) (*RedisNode, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(r.dir, name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir}, extra...)
	p := r.group.Add(proc.New(proc.Spec{
		Name: name, Path: r.binary, Args: args, Env: os.Environ(), Dir: dir,
		LogFile: filepath.Join(r.dir, name+".log"),
	}))
	return &RedisNode{Process: p, Port: port}, nil
}

func (r *Redis) newSentinel(name string) (*RedisNode, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %q
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 2000
sentinel failover-timeout %s 10000
sentinel parallel-syncs %s 1
`, port, r.dir, SentinelMaster, r.Nodes[0].Port, SentinelMaster, SentinelMaster, SentinelMaster)
	path := filepath.Join(r.dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := r.group.Add(proc.New(proc.Spec{
		Name: name, Path: r.binary, Args: []string{path, "--sentinel"}, Env: os.Environ(), Dir: r.dir,
		LogFile: filepath.Join(r.dir, name+".log"),
	}))
	return &RedisNode{Process: p, Port: port}, nil
}

func (n *RedisNode) waitPing(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: n.Addr(), MaxRetries: -1})
	defer c.Close()
	return poll(ctx, 20*time.Second, n.Spec.Name+" PING", func() bool {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return c.Ping(pctx).Err() == nil
	})
}

func (r *Redis) waitSentinelsSeeReplica(ctx context.Context) error {
	for _, s := range r.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
		err := poll(ctx, 30*time.Second, s.Spec.Name+" sees the replica", func() bool {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			reps, err := sc.Replicas(pctx, SentinelMaster).Result()
			return err == nil && len(reps) > 0
		})
		sc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// URL is the redis:// URL of the first node (standalone mode).
func (r *Redis) URL() string { return "redis://" + r.Nodes[0].Addr() + "/0" }

// SentinelAddrs are the sentinels' host:port.
func (r *Redis) SentinelAddrs() []string {
	var out []string
	for _, s := range r.Sentinels {
		out = append(out, s.Addr())
	}
	return out
}

// RestartWiped kills the standalone server with SIGKILL and starts it
// again, empty, after down.
func (r *Redis) RestartWiped(ctx context.Context, down time.Duration) error {
	n := r.Nodes[0]
	if err := n.Kill(); err != nil {
		return err
	}
	if err := sleep(ctx, down); err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	return n.waitPing(ctx)
}

// Failover kills the current master with SIGKILL, waits until the
// sentinels promote the replica, and starts the old master again as a
// replica of the new one. It returns how long the promotion took.
func (r *Redis) Failover(ctx context.Context) (time.Duration, error) {
	master, err := r.masterAddr(ctx)
	if err != nil {
		return 0, err
	}
	var old *RedisNode
	for _, n := range r.Nodes {
		if n.Addr() == master {
			old = n
		}
	}
	if old == nil {
		return 0, fmt.Errorf("sentinel names master %s, which is none of the nodes", master)
	}
	start := time.Now()
	if err := old.Kill(); err != nil {
		return 0, err
	}
	var promoted string
	err = poll(ctx, 60*time.Second, "sentinel failover", func() bool {
		promoted, err = r.masterAddr(ctx)
		return err == nil && promoted != master
	})
	if err != nil {
		return 0, err
	}
	took := time.Since(start)
	host, port, _ := strings.Cut(promoted, ":")
	old.Spec.Args = append(withoutReplicaOf(old.Spec.Args), "--replicaof", host, port)
	if err := old.Start(); err != nil {
		return took, err
	}
	return took, old.waitPing(ctx)
}

func (r *Redis) masterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, s := range r.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		addr, err := sc.GetMasterAddrByName(pctx, SentinelMaster).Result()
		cancel()
		sc.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1]), nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("no sentinel names the master: %w", lastErr)
}

func withoutReplicaOf(args []string) []string {
	for i, a := range args {
		if a == "--replicaof" {
			return append(args[:i:i], args[i+3:]...)
		}
	}
	return args
}
