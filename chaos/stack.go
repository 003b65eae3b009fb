package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/chaos/internal/load"
	"github.com/parleyhq/parley/chaos/internal/proc"
	"github.com/parleyhq/parley/chaos/internal/servers"
)

// The chaos bot and its channel (chaos/bot).
const (
	botID      = "st-c4a05000-0000-5000-8000-000000000001"
	appID      = "cs-c4a05000-0000-5000-8000-000000000003"
	instanceID = "chaos"
)

// The Parley processes of a phase: the split the operator ran.
const (
	svcIngress    = "ingress"
	svcDialog1    = "dialog-1"
	svcDialog2    = "dialog-2"
	svcDispatcher = "dispatcher"
)

var serviceTargets = map[string]string{
	svcIngress: "ingress", svcDialog1: "dialog", svcDialog2: "dialog", svcDispatcher: "dispatcher",
}

// secrets are made fresh for every phase.
type secrets struct {
	clientSecret, accessToken, signingSecret, masterKey string
}

func newSecrets() secrets {
	return secrets{
		clientSecret:  randomText(24),
		accessToken:   randomText(24),
		signingSecret: "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32)),
		masterKey:     base64.StdEncoding.EncodeToString(randomBytes(32)),
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomText(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// Stack is everything a phase runs: the servers, the Parley processes and
// the receiver.
type Stack struct {
	opts     Options
	dir      string
	group    *proc.Group
	NATS     *servers.NATSCluster
	Redis    *servers.Redis
	Receiver *load.Receiver
	Services map[string]*service
	secrets  secrets
	// Sentinel says whether the services reach Redis through Sentinel.
	Sentinel   bool
	ingressURL string
	events     *events
	// up is set once setup is over; before that, startWithRetries deals
	// with services that end.
	up atomic.Bool
}

type service struct {
	*proc.Process
	target   string
	opsPort  int
	restarts int
}

// events collects what happened during a phase for its notes.
type events struct {
	start time.Time
	mu    sync.Mutex
	notes []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = append(e.notes, fmt.Sprintf("+%.0fs ", time.Since(e.start).Seconds())+fmt.Sprintf(format, args...))
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.notes...)
}

// startStack starts the servers, the receiver and the services, and waits
// until every service is ready.
func startStack(ctx context.Context, opts Options, dir string, group *proc.Group, ev *events, r *load.Receiver, sec secrets) (*Stack, error) {
	s := &Stack{opts: opts, dir: dir, group: group, Receiver: r, Services: map[string]*service{}, secrets: sec, events: ev}
	var err error
	if s.NATS, err = servers.StartNATSCluster(ctx, group, opts.NATSServer, filepath.Join(dir, "nats")); err != nil {
		return nil, fmt.Errorf("nats cluster: %w", err)
	}
	redisSection := ""
	if opts.sentinelSection != "" {
		s.Sentinel = true
	}
	if s.Redis, err = servers.StartRedis(ctx, group, opts.RedisServer, filepath.Join(dir, "redis"), s.Sentinel); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if s.Sentinel {
		redisSection = fmt.Sprintf(opts.sentinelSection, servers.SentinelMaster, yamlList(s.Redis.SentinelAddrs()))
	} else {
		redisSection = fmt.Sprintf("  url: %q\n", s.Redis.URL())
	}
	ingressPort, err := servers.FreePort()
	if err != nil {
		return nil, err
	}
	s.ingressURL = fmt.Sprintf("http://127.0.0.1:%d/chatbot/hooks/%s/hookInstance/%s", ingressPort, botID, instanceID)
	cfgPath := filepath.Join(dir, "parley.yaml")
	cfg := parleyConfig(opts.Bot, s.NATS.URL(), redisSection, r.URL(), s.secrets)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := r.Start(); err != nil {
		return nil, err
	}
	for _, name := range []string{svcDialog1, svcDialog2, svcDispatcher, svcIngress} {
		if _, err := s.newService(ctx, name, cfgPath, ingressPort); err != nil {
			return nil, err
		}
	}
	// One at a time: when fresh processes create the same replicated
	// buckets at once, or the machine is busy, a start can time out
	// loading the registry (seen with nats-server 2.15 on two cores). A
	// start that fails is tried again, twice at most, and noted.
	for _, name := range []string{svcDialog1, svcDialog2, svcDispatcher, svcIngress} {
		if err := s.startWithRetries(ctx, s.Services[name]); err != nil {
			return nil, err
		}
	}
	s.waitRebalanced(ctx)
	s.up.Store(true)
	return s, nil
}

func (s *Stack) newService(ctx context.Context, name, cfgPath string, ingressPort int) (*service, error) {
	opsPort, err := servers.FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-config.file", cfgPath, "-target=" + serviceTargets[name], "-ops.listen", fmt.Sprintf("127.0.0.1:%d", opsPort)}
	if name == svcIngress {
		args = append(args, "-ingress.listen", fmt.Sprintf("127.0.0.1:%d", ingressPort))
	}
	svc := &service{opsPort: opsPort, target: serviceTargets[name]}
	svc.Process = s.group.Add(proc.New(proc.Spec{
		Name: name, Path: s.opts.Parley, Args: args, Dir: s.dir,
		Env:     append(cleanEnv(), "PARLEY_DATA_DIR="+filepath.Join(s.dir, "data-"+name)),
		LogFile: filepath.Join(s.dir, name+".log"),
	}))
	svc.OnExit = func(p *proc.Process, err error) { s.exited(ctx, svc, err) }
	s.Services[name] = svc
	return svc, nil
}

// exited notes a service that ended without the suite asking it to and,
// under -supervise, starts it again as systemd or Kubernetes would, until
// the run's ctx is done.
func (s *Stack) exited(ctx context.Context, svc *service, err error) {
	if !s.up.Load() {
		return
	}
	s.events.add("%s exited by itself (%v)", svc.Spec.Name, err)
	if !s.opts.Supervise || svc.restarts >= 20 {
		return
	}
	svc.restarts++
	time.Sleep(time.Second)
	if err := svc.start(ctx); err != nil {
		s.events.add("%s: restart failed: %v", svc.Spec.Name, err)
		return
	}
	s.events.add("%s restarted by the supervisor", svc.Spec.Name)
}

func (s *Stack) startWithRetries(ctx context.Context, svc *service) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = svc.start(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		s.events.add("setup: %s did not start (%v); trying again", svc.Spec.Name, lastLogError(svc))
		_ = svc.Stop(5 * time.Second)
	}
	return err
}

// lastLogError is the last "parley stopped" error of the service's log.
func lastLogError(svc *service) string {
	m := stoppedErr.FindAllStringSubmatch(svc.Log(), -1)
	if len(m) == 0 {
		return "no error logged"
	}
	return m[len(m)-1][1]
}

var stoppedErr = regexp.MustCompile(`"msg":"parley stopped","err":"((?:[^"\\]|\\.)*)"`)

// start starts the service and waits until it is ready: its target's
// "module started" line (/readyz alone answers 200 before the modules
// have registered their checks), then /readyz.
func (svc *service) start(ctx context.Context) error {
	offset := svc.LogSize()
	if err := svc.Start(); err != nil {
		return err
	}
	started := regexp.MustCompile(`"msg":"module started","module":"` + svc.target + `"`)
	deadline := time.Now().Add(90 * time.Second)
	for svc.LogSize() < offset || !started.MatchString(svc.Log()[offset:]) {
		if !svc.Running() {
			return fmt.Errorf("%s ended before it was ready; log %s", svc.Spec.Name, svc.Spec.LogFile)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not started within 90s; log %s", svc.Spec.Name, svc.Spec.LogFile)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return svc.waitReady(ctx, time.Until(deadline))
}

// waitReady polls /readyz until it answers 200.
func (svc *service) waitReady(ctx context.Context, timeout time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", svc.opsPort)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !svc.Running() {
			return fmt.Errorf("%s ended before it was ready; log %s", svc.Spec.Name, svc.Spec.LogFile)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: /readyz not 200 within %s; log %s", svc.Spec.Name, timeout, svc.Spec.LogFile)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

var rebalancedBoth = regexp.MustCompile(`"msg":"partitions rebalanced".*"owned":[1-9][0-9]*,"members":2`)

// waitRebalanced waits until both dialog replicas own partitions, so that a
// phase starts from the steady state; not seeing it is noted, not fatal.
func (s *Stack) waitRebalanced(ctx context.Context) {
	for _, name := range []string{svcDialog1, svcDialog2} {
		if err := s.Services[name].WaitLog(rebalancedBoth, 0, 60*time.Second); err != nil {
			s.events.add("%v", err)
		}
	}
}

// restartService kills name with SIGKILL, waits down and starts it again.
func (s *Stack) restartService(ctx context.Context, name string, down time.Duration) error {
	svc := s.Services[name]
	if err := svc.Kill(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	return svc.start(ctx)
}
