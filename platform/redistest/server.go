package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process started by the test, on a loopback
// port, without persistence. It is killed when the test ends.
type Server struct {
	// Addr is 127.0.0.1:<port>.
	Addr string
	dir  string

	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
}

// binary returns the path of redis-server, or skips the test (fails it
// under CI=true) when it is not installed.
func binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "REDIS-SERVER NOT INSTALLED: this test starts its own Redis servers and Sentinels"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; under CI=true that is a failure (apt-get install redis-server)")
		}
		t.Skip("SKIPPED: " + msg + "; install redis-server to run it")
	}
	return path
}

// StartServer starts a redis-server with extra arguments (e.g.
// "--replicaof", "127.0.0.1", "6379") and waits until it answers PING.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := binary(t)
	var lastErr error
	// A free port can be taken by someone else between the probe and the
	// server's bind: try a few.
	for range 3 {
		port := freePort(t)
		dir := t.TempDir()
		all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, args...)
		s, err := start(t, bin, dir, port, all)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return nil
}

// StartPort starts a redis-server on a given port (to bring back a Redis
// that a test wants down at first).
func StartPort(t testing.TB, port int, args ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, args...)
	s, err := start(t, binary(t), dir, port, all)
	if err != nil {
		t.Fatalf("redis-server on port %d did not start: %v", port, err)
	}
	return s
}

func start(t testing.TB, bin, dir string, port int, args []string) (*Server, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.Kill)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("redis-server on %s exited: %s", s.Addr, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.Kill()
			return nil, fmt.Errorf("redis-server on %s does not answer: %w; %s", s.Addr, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
}

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Client is a plain client to this server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func (s *Server) logTail() string {
	for _, name := range []string{"redis.log", "sentinel.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		return "log: " + strings.Join(lines[max(0, len(lines)-10):], "\n")
	}
	return "no log"
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t testing.TB) int { return freePort(t) }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var errNotYet = errors.New("not yet")
