// Package bustest starts real JetStream servers for tests.
package bustest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/polltest"
)

// Server is a JetStream server listening on a random loopback port.
type Server struct {
	NS  *server.Server
	URL string

	opts server.Options // to start it again
}

// RunJetStream starts an embedded nats-server (the current release, unlike
// the machine's packaged one) with its store in a temporary directory, and
// stops it when the test ends. With PARLEY_TEST_NATS_URL set, tests use that
// server instead (to check Parley against another NATS version); the
// per-test prefix of Config keeps their streams apart.
func RunJetStream(t testing.TB) *Server {
	t.Helper()
	if url := os.Getenv("PARLEY_TEST_NATS_URL"); url != "" {
		return &Server{URL: url}
	}
	return RunJetStreamAt(t, t.TempDir(), -1)
}

// RunJetStreamAt starts a server with the given store and port (-1: random);
// restarting on the same store and port simulates a server restart.
func RunJetStreamAt(t testing.TB, storeDir string, port int) *Server {
	t.Helper()
	s := &Server{opts: server.Options{
		Host:      "127.0.0.1",
		Port:      port,
		JetStream: true,
		StoreDir:  storeDir,
		NoLog:     true,
		NoSigs:    true,
	}}
	s.Start(t)
	return s
}

// RunRestartable starts an embedded server that Start can bring back after
// Shutdown, on the same port and store, as a restarted nats-server keeps
// its data (PARLEY_TEST_NATS_URL does not apply: the test stops it).
func RunRestartable(t testing.TB) *Server {
	t.Helper()
	return RunJetStreamAt(t, t.TempDir(), -1)
}

// Start starts the server, or starts again one stopped by Shutdown, on its
// port and store.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	opts := s.opts // NewServer keeps and changes its options
	ns, err := server.NewServer(&opts)
	if err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	s.NS, s.URL = ns, ns.ClientURL()
	s.opts.Port = ns.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Shutdown)
}

// Cluster is a JetStream cluster of servers on loopback, each of which can
// be stopped and started again with its data.
type Cluster struct {
	Nodes []*Server
	// URL lists every node, for a client that fails over between them.
	URL string
}

// RunCluster starts an n-node JetStream cluster and waits until it has a
// meta leader.
func RunCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	clientPorts, routePorts := freePorts(t, n), freePorts(t, n)
	var routes []*url.URL
	for _, p := range routePorts {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	c := &Cluster{}
	var urls []string
	for i := range n {
		s := &Server{opts: server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			Cluster:    server.ClusterOpts{Name: "parley-test", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:     routes,
			NoLog:      true,
			NoSigs:     true,
		}}
		s.Start(t)
		c.Nodes = append(c.Nodes, s)
		urls = append(urls, s.URL)
	}
	c.URL = strings.Join(urls, ",")
	c.WaitCurrent(t)
	return c
}

// WaitCurrent waits until the running nodes have a JetStream meta leader
// and every one of them is current with it.
func (c *Cluster) WaitCurrent(t testing.TB) {
	t.Helper()
	polltest.Until(t, "a current JetStream cluster", 60*time.Second, func() bool {
		leader := false
		for _, s := range c.Nodes {
			if !s.NS.Running() {
				continue
			}
			if !s.NS.JetStreamIsCurrent() {
				return false
			}
			leader = leader || s.NS.JetStreamIsLeader()
		}
		return leader
	})
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// Shutdown stops the server; safe to call twice.
func (s *Server) Shutdown() {
	if s.NS == nil {
		return
	}
	s.NS.Shutdown()
	s.NS.WaitForShutdown()
}

var seq atomic.Int64

// runID keeps prefixes unique across test processes that share one server
// (PARLEY_TEST_NATS_URL), whose streams outlive the run.
var runID = fmt.Sprintf("%04x", rand.N(1<<16))

// Config returns a bus configuration for this server with a prefix unique to
// the test, so that tests sharing a server do not see each other's streams.
func (s *Server) Config(t testing.TB) bus.Config {
	name := strings.NewReplacer("/", "_", " ", "_", ".", "_").Replace(t.Name())
	if len(name) > 20 {
		name = name[:20]
	}
	cfg := bus.Config{URL: s.URL, Partitions: 8, Prefix: fmt.Sprintf("t%s%d%s", runID, seq.Add(1), name)}
	cfg.Defaults()
	return cfg
}

// Connect opens a bus connection closed at the end of the test.
func Connect(t testing.TB, cfg bus.Config) *bus.Conn {
	t.Helper()
	c, err := bus.Connect(cfg, t.Name(), nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}
