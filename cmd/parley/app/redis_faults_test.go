package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/redistest"
	"github.com/parleyhq/parley/platform/redisx"
	"github.com/parleyhq/parley/platform/registry"
)

// counterBotID is a bot that counts its turns in the session: its answer
// "count N" shows whether the session kept every turn before. It also
// writes the count to the shared UserSession scope.
const counterBotID = "st-0c0c0c0c-1d1d-4e4e-8f8f-2a2a2a2a2a2a"

func writeCounterBot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"bot.yaml": `format: parley.bot/v1
id: ` + counterBotID + `
name: Counter
messages:
  default: "say count"
intents:
  - name: count
    task: count
    utterances: [count, count again, next count]
`,
		"tasks/count.yaml": `id: dg-3b3b3b3b-4c4c-4d4d-8e8e-5f5f5f5f5f5f
name: count
nodes:
  - id: intent0
    type: intent
    intent: count
    next: bump
  - id: bump
    type: script
    script: |
      var n = (BotUserSession.get("count") || 0) + 1;
      BotUserSession.put("count", n);
      context.count = n;
      UserSession.put("lastCount", n);
    next: say
  - id: say
    type: message
    messages: ["count {{context.count}}"]
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withCounterBot adds the counter bot on a synchronous webhook of app A.
func withCounterBot(t *testing.T, cfg Config) Config {
	cfg.Registry.Bots = append(cfg.Registry.Bots, registry.Bot{ID: counterBotID, Name: "Counter", Path: writeCounterBot(t)})
	cfg.Registry.Instances = append(cfg.Registry.Instances,
		registry.Instance{BotID: counterBotID, Name: "counter", App: appA, Mode: registry.ModeSync, Enabled: true, Approved: true})
	return cfg
}

// checks records the readiness checks the app registers.
type checks struct {
	mu sync.Mutex
	m  map[string]opsserver.Check
}

func (c *checks) AddCheck(name string, check opsserver.Check) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]opsserver.Check{}
	}
	c.m[name] = check
	return nil
}

func (c *checks) run(name string) error {
	c.mu.Lock()
	check := c.m[name]
	c.mu.Unlock()
	if check == nil {
		return fmt.Errorf("no %q check registered", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return check(ctx)
}

// outcome is what one webhook request got.
type outcome struct {
	status     int
	retryAfter string
	count      int // the bot's count on a 200
	raw        string
}

// countTurn sends "count" as user with a fresh one-time token (a jti, so
// that every request needs Redis at the ingress too).
func countTurn(url, user string) (outcome, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"appId": appA, "sub": user, "jti": uuid.NewString(), "exp": time.Now().Add(5 * time.Minute).Unix(),
	}).SignedString([]byte(secretA))
	if err != nil {
		return outcome{}, err
	}
	body := fmt.Sprintf(`{"message":{"text":"count"},"from":{"id":%q}}`, user)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return outcome{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	o := outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: string(raw)}
	if o.status == http.StatusOK {
		var r struct {
			Text []string `json:"text"`
		}
		if err := json.Unmarshal(raw, &r); err != nil || len(r.Text) != 1 {
			return o, fmt.Errorf("200 with an unexpected body %s", raw)
		}
		if _, err := fmt.Sscanf(r.Text[0], "count %d", &o.count); err != nil {
			return o, fmt.Errorf("200 with an unexpected answer %q", r.Text[0])
		}
	}
	return o, nil
}

// userLoad is one user's side of the load: turns in sequence, each 503
// retried after its Retry-After.
type userLoad struct {
	name     string
	ok       int // turns answered 200
	accepted int // turns the ingress took (200, or 504 still applied later)
	lastOK   int // the count of the last 200
	refused  int // 503s
	problems []string
}

func (u *userLoad) record(o outcome, err error) (pause time.Duration) {
	switch {
	case err != nil:
		u.problems = append(u.problems, err.Error())
	case o.status == http.StatusOK:
		// Monotonic: a count at or below one already answered means a
		// turn the client was told about is gone from the session.
		if o.count <= u.lastOK {
			u.problems = append(u.problems, fmt.Sprintf("count %d after count %d: an acknowledged turn was lost", o.count, u.lastOK))
		}
		u.ok++
		u.accepted++
		u.lastOK = o.count
	case o.status == http.StatusServiceUnavailable:
		u.refused++
		secs, err := strconv.Atoi(o.retryAfter)
		if err != nil || secs < 1 || !strings.Contains(o.raw, `"code":503`) {
			u.problems = append(u.problems, fmt.Sprintf("503 without Retry-After or error envelope: %q %s", o.retryAfter, o.raw))
			return 100 * time.Millisecond
		}
		// Honour it, within the test's time budget.
		return min(time.Duration(secs)*time.Second, 500*time.Millisecond)
	case o.status == http.StatusGatewayTimeout:
		u.accepted++ // accepted: the turn completes later
	default:
		u.problems = append(u.problems, fmt.Sprintf("status %d: %s", o.status, o.raw))
	}
	return 0
}

// runLoad drives users concurrently until stop is closed, recording under
// mu; progress is called after each answer.
func runLoad(url string, users []*userLoad, mu *sync.Mutex, stop <-chan struct{}, progress func()) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, err := countTurn(url, u.name)
				mu.Lock()
				pause := u.record(o, err)
				mu.Unlock()
				progress()
				if pause > 0 {
					select {
					case <-stop:
						return
					case <-time.After(pause):
					}
				}
			}
		}()
	}
	return &wg
}

// TestSentinelFailoverMidLoad runs the one-binary Parley on a primary, a
// replica and three Sentinels, kills the primary (SIGKILL) while several
// users talk to a bot that counts their turns, and checks that: no request
// gets a 500 or a transport error, every refusal is 503 with Retry-After,
// the process keeps running, /readyz's Redis check fails during the switch
// and passes after it, and afterwards each session holds exactly the turns
// that were accepted (nothing acknowledged is lost, nothing counted twice).
func TestSentinelFailoverMidLoad(t *testing.T) {
	began := time.Now()
	left := budget(began.Add(55 * time.Second))
	d := redistest.StartSentinel(t)
	t.Logf("sentinel deployment ready in %s", time.Since(began).Round(time.Millisecond))
	_, busCfg := newServer(t)
	cfg := withCounterBot(t, testConfig(t, busCfg))
	cfg.Redis = redisx.Config{Sentinel: redisx.SentinelConfig{MasterName: redistest.MasterName, Addrs: d.Addrs()}}
	// Kore's budget: a turn held through the switch is still answered.
	cfg.Ingress.SyncTimeout = 15 * time.Second
	ready := &checks{}
	p := startProcessWith(t, cfg, func(a *App) { a.Checks = ready }, All)
	url := p.base() + "/chatbot/hooks/" + counterBotID
	if err := ready.run("redis"); err != nil {
		t.Fatalf("redis readiness before the failover: %v", err)
	}

	users := make([]*userLoad, 6)
	for i := range users {
		users[i] = &userLoad{name: fmt.Sprintf("user-%d", i)}
	}
	var mu sync.Mutex
	progressC := make(chan struct{}, 1)
	progress := func() {
		select {
		case progressC <- struct{}{}:
		default:
		}
	}
	stop := make(chan struct{})
	wg := runLoad(url, users, &mu, stop, progress)
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopLoad)

	// Mid-load: every user has a session in Redis when the primary dies.
	awaitUsers(t, "3 answered turns per user before the kill", left.of(10*time.Second), progressC, &mu, func() bool {
		return allAtLeast(users, nil, 3)
	})
	old := d.Primary.Addr
	killed := time.Now()
	d.Primary.Kill()
	sawNotReady := make(chan bool, 1)
	go func() { sawNotReady <- pollNotReady(ready, left.of(10*time.Second)) }()
	d.WaitFailover(t, old, left.of(20*time.Second))
	t.Logf("failover done %s after the kill", time.Since(killed).Round(time.Millisecond))
	mu.Lock()
	atFailover := map[string]int{}
	for _, u := range users {
		atFailover[u.name] = u.ok
	}
	mu.Unlock()
	awaitUsers(t, "3 answered turns per user after the failover", left.of(15*time.Second), progressC, &mu, func() bool {
		return allAtLeast(users, atFailover, 3)
	})
	stopLoad()

	select {
	case err := <-p.done:
		t.Fatalf("parley stopped during the failover: %v", err)
	default:
	}
	if !<-sawNotReady {
		t.Error("the redis readiness check never failed while the primary was down")
	}
	polltest.UntilNil(t, "redis readiness after the failover", left.of(5*time.Second), func() error { return ready.run("redis") })

	refused := 0
	for _, u := range users {
		refused += u.refused
		for _, pr := range u.problems {
			t.Errorf("%s: %s", u.name, pr)
		}
	}
	// Every accepted turn is in the session once: the next turn counts one
	// more than all of them.
	for _, u := range users {
		polltest.UntilNil(t, u.name+"'s next turn", left.of(15*time.Second), func() error {
			o, err := countTurn(url, u.name)
			if err != nil {
				return fmt.Errorf("%d %s: %w", o.status, o.raw, err)
			}
			if o.status != http.StatusOK {
				return fmt.Errorf("%d %s", o.status, o.raw)
			}
			if o.count != u.accepted+1 {
				t.Errorf("%s: count %d after %d accepted turns (%d answered): the session lost or doubled a turn", u.name, o.count, u.accepted, u.ok)
			}
			return nil
		})
	}
	t.Logf("%d turns answered, %d refused with 503 during the switch; whole test %s",
		sum(users, func(u *userLoad) int { return u.ok }), refused, time.Since(began).Round(time.Millisecond))
}

// allAtLeast reports whether every user has n more answered turns than
// in since (nil: since the start).
// budget is the end of a test's time: each wait takes at most its own
// bound and never more than what remains, so that a stuck step fails the
// test within its limit.
type budget time.Time

func (b budget) of(d time.Duration) time.Duration {
	return max(min(d, time.Until(time.Time(b))), time.Millisecond)
}

func allAtLeast(users []*userLoad, since map[string]int, n int) bool {
	for _, u := range users {
		if u.ok-since[u.name] < n {
			return false
		}
	}
	return true
}

func sum(users []*userLoad, f func(*userLoad) int) int {
	n := 0
	for _, u := range users {
		n += f(u)
	}
	return n
}

// awaitUsers waits for cond, re-checked on each answer, until timeout.
func awaitUsers(t *testing.T, what string, timeout time.Duration, progress <-chan struct{}, mu *sync.Mutex, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		select {
		case <-progress:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestRedisDownAtStart: with Redis configured but not running, the process
// starts anyway and stays up; the redis readiness check fails, a request
// that needs Redis at the ingress is refused with 503 and Retry-After, and
// a turn that reached the dialog waits for Redis instead of being dropped or
// answered with an error. When Redis comes up, everything proceeds without
// a restart.
func TestRedisDownAtStart(t *testing.T) {
	port := redistest.FreePort(t)
	_, busCfg := newServer(t)
	cfg := withCounterBot(t, testConfig(t, busCfg))
	cfg.Redis.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	cfg.Ingress.SyncTimeout = 15 * time.Second
	ready := &checks{}
	p := startProcessWith(t, cfg, func(a *App) { a.Checks = ready }, All)
	url := p.base() + "/chatbot/hooks/" + counterBotID

	if err := ready.run("redis"); err == nil {
		t.Fatal("the redis readiness check passes with Redis down")
	}
	o, err := countTurn(url, "ann")
	if err != nil || o.status != http.StatusServiceUnavailable || o.retryAfter == "" {
		t.Fatalf("turn with a jti while Redis is down: %+v %v; want 503 with Retry-After", o, err)
	}
	// A token without jti needs no Redis at the ingress: the turn is
	// accepted and waits in the dialog until Redis answers.
	held := make(chan response, 1)
	go func() { held <- sayQuietly(url, "bob", "count") }()
	conn := bustest.Connect(t, busCfg)
	polltest.UntilNil(t, "the held turn in the turn stream", 10*time.Second, func() error {
		info, err := conn.JS.Stream(t.Context(), busCfg.Name(bus.StreamTurns))
		if err != nil {
			return err
		}
		if info.CachedInfo().State.Msgs < 1 {
			return fmt.Errorf("no turn stored yet")
		}
		return nil
	})
	select {
	case err := <-p.done:
		t.Fatalf("parley stopped while Redis was down: %v", err)
	case r := <-held:
		t.Fatalf("the turn was answered while Redis was down: %d %s", r.Status, r.Raw)
	default:
	}

	redistest.StartPort(t, port)
	polltest.UntilNil(t, "redis readiness once Redis is up", 15*time.Second, func() error { return ready.run("redis") })
	if r := <-held; r.Status != http.StatusOK || !strings.Contains(r.Raw, "count 1") {
		t.Fatalf("the held turn: %d %s; want 200 count 1", r.Status, r.Raw)
	}
	if o, err := countTurn(url, "ann"); err != nil || o.status != http.StatusOK || o.count != 1 {
		t.Fatalf("turn once Redis is up: %+v %v; want 200 count 1", o, err)
	}
}

// sayQuietly is say without a testing.T, for a goroutine: errors become a
// zero response.
func sayQuietly(url, user, text string) response {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"appId": appA, "sub": user}).SignedString([]byte(secretA))
	if err != nil {
		return response{Raw: err.Error()}
	}
	body := fmt.Sprintf(`{"message":{"text":%q},"from":{"id":%q}}`, text, user)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return response{Raw: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Raw: string(raw)}
}

// TestRedisClusterSessions runs Parley on a three-node Redis Cluster:
// sessions, shared scopes and the ingress's jti set work through the
// cluster client, each conversation's keys in its own slot.
func TestRedisClusterSessions(t *testing.T) {
	cluster := redistest.StartCluster(t)
	_, busCfg := newServer(t)
	cfg := withCounterBot(t, testConfig(t, busCfg))
	cfg.Redis = redisx.Config{Cluster: redisx.ClusterConfig{Addrs: cluster.Addrs()}}
	ready := &checks{}
	p := startProcessWith(t, cfg, func(a *App) { a.Checks = ready }, All)
	if err := ready.run("redis"); err != nil {
		t.Fatalf("redis readiness on the cluster: %v", err)
	}
	url := p.base() + "/chatbot/hooks/" + counterBotID
	users := []string{"ann", "bob", "carol", "dave", "erin", "frank"}
	for round := 1; round <= 3; round++ {
		for _, u := range users {
			o, err := countTurn(url, u)
			if err != nil || o.status != http.StatusOK || o.count != round {
				t.Fatalf("%s round %d: %+v %v", u, round, o, err)
			}
		}
	}
	rdb := cluster.Client(t)
	slots := map[int64]bool{}
	for _, u := range users {
		conv := bus.ConversationKey(counterBotID, appA+"/"+u)
		if n := rdb.Exists(t.Context(), "parley:sess:{"+conv+"}").Val(); n != 1 {
			t.Errorf("%s: no session in the cluster", u)
		}
		if v := rdb.HGet(t.Context(), "parley:us:{"+appA+"/"+u+"}", "lastCount").Val(); v != "3" {
			t.Errorf("%s: UserSession.lastCount = %q, want 3", u, v)
		}
		slots[rdb.ClusterKeySlot(t.Context(), "parley:sess:{"+conv+"}").Val()] = true
	}
	if len(slots) < 2 {
		t.Errorf("the sessions of %d users share %d slot(s): the hash tag does not spread them", len(users), len(slots))
	}
}
