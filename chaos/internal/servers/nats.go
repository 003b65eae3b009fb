// Package servers runs the infrastructure of a chaos phase as real
// processes on loopback: a three-node nats-server cluster with JetStream
// and Redis, standalone or watched by Sentinel. Each server can be taken
// down and brought back the way the faults need.
package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parleyhq/parley/chaos/internal/proc"
)

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// NATSNode is one member of the cluster.
type NATSNode struct {
	*proc.Process
	ClientPort, MonitorPort int
}

// NATSCluster is three JetStream nodes routed to each other.
type NATSCluster struct {
	Nodes []*NATSNode
}

// StartNATSCluster writes a config per node under dir (file stores
// included) and starts the three nodes, waiting until each is healthy.
func StartNATSCluster(ctx context.Context, g *proc.Group, binary, dir string) (*NATSCluster, error) {
	const n = 3
	var client, monitor, route [n]int
	for i := range n {
		for _, p := range []*int{&client[i], &monitor[i], &route[i]} {
			port, err := FreePort()
			if err != nil {
				return nil, err
			}
			*p = port
		}
	}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[i]))
	}
	c := &NATSCluster{}
	for i := range n {
		name := fmt.Sprintf("nats-%d", i+1)
		store := filepath.Join(dir, name)
		if err := os.MkdirAll(store, 0o750); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream {
  store_dir: %q
  max_memory_store: 256MB
  max_file_store: 2GB
}
cluster {
  name: chaos
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, client[i], monitor[i], store, route[i], strings.Join(routes, ", "))
		confPath := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p := g.Add(proc.New(proc.Spec{
			Name: name, Path: binary, Args: []string{"-c", confPath},
			Env: os.Environ(), Dir: dir, LogFile: filepath.Join(dir, name+".log"),
		}))
		c.Nodes = append(c.Nodes, &NATSNode{Process: p, ClientPort: client[i], MonitorPort: monitor[i]})
	}
	for _, node := range c.Nodes {
		if err := node.Start(); err != nil {
			return nil, err
		}
	}
	return c, c.WaitHealthy(ctx, 60*time.Second)
}

// URL is the client URL list the services connect with.
func (c *NATSCluster) URL() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.ClientPort))
	}
	return strings.Join(urls, ",")
}

// WaitHealthy waits until every running node answers /healthz with 200,
// which nats-server does only once JetStream is up and the meta group has
// a leader.
func (c *NATSCluster) WaitHealthy(ctx context.Context, timeout time.Duration) error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.WaitHealthy(ctx, timeout))
	}
	return errors.Join(errs...)
}

// WaitHealthy waits until the node answers /healthz with 200.
func (n *NATSNode) WaitHealthy(ctx context.Context, timeout time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", n.MonitorPort)
	return poll(ctx, timeout, n.Spec.Name+" healthz", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// Connections is the number of client connections the node holds, from
// its /varz; -1 when it does not answer.
func (n *NATSNode) Connections() int {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/varz", n.MonitorPort))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var varz struct {
		Connections int `json:"connections"`
	}
	if json.NewDecoder(resp.Body).Decode(&varz) != nil {
		return -1
	}
	return varz.Connections
}

// Busiest is the node holding the most client connections: restarting
// it disturbs the most services.
func (c *NATSCluster) Busiest() *NATSNode {
	best, most := c.Nodes[0], -1
	for _, n := range c.Nodes {
		if conns := n.Connections(); conns > most {
			best, most = n, conns
		}
	}
	return best
}

// Restart stops the node gracefully, waits down, starts it again and waits
// until it is healthy.
func (n *NATSNode) Restart(ctx context.Context, down time.Duration) error {
	if err := n.Stop(10 * time.Second); err != nil {
		return err
	}
	if err := sleep(ctx, down); err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	return n.WaitHealthy(ctx, 60*time.Second)
}

// poll calls ok every 100 ms until it is true, the timeout passes or ctx
// ends.
func poll(ctx context.Context, timeout time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not ready within %s", what, timeout)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
