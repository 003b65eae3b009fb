package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
)

// deadLetters reads every dead letter of the test's DLQ stream.
func (e *env) deadLetters() []*dispatcherv1.DeadLetter {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := dlq.Open(ctx, e.conn, 24*time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*dispatcherv1.DeadLetter
	if _, err := st.Scan(ctx, st.Filter("", "", false), 1, 0, func(dl *dispatcherv1.DeadLetter) bool {
		out = append(out, dl)
		return true
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// A 410 disables the channel for every replica (KV) and sends its later
// messages to the DLQ without POSTing them; other channels are unaffected.
func TestGoneDisablesChannel(t *testing.T) {
	gone := newReceiver(t, func(*http.Request, []byte, int64) int { return http.StatusGone })
	fine := newReceiver(t, nil)
	e := newEnv(t,
		registry.Instance{InstanceID: "gone", PostURL: gone.url()},
		registry.Instance{InstanceID: "fine", PostURL: fine.url()},
	)
	d := e.start(fastConfig())
	p := e.publisher()
	p.reply("gone", "u1", "first", "second")
	polltest.Until(t, "the channel to be disabled", 10*time.Second, func() bool { return d.svc.ChannelDisabled(botID, "gone") })
	p.reply("gone", "u2", "third")
	p.reply("fine", "u3", "elsewhere")
	polltest.Until(t, "dead letters", 10*time.Second, func() bool { return e.dlqCount() >= 5 })
	polltest.Until(t, "the other channel", 10*time.Second, func() bool { return fine.distinct() >= 2 })

	if n := gone.requests.Load(); n != 1 {
		t.Errorf("gone endpoint got %d requests, want 1 (later messages must not be POSTed)", n)
	}
	reasons := map[string]int{}
	for _, dl := range e.deadLetters() {
		if dl.GetInstanceId() != "gone" {
			t.Errorf("dead letter for channel %q", dl.GetInstanceId())
		}
		reasons[dl.GetReason()]++
	}
	if reasons["endpoint_gone"] != 1 || reasons["endpoint_disabled"] != 4 {
		t.Errorf("reasons = %v, want 1 endpoint_gone and 4 endpoint_disabled", reasons)
	}
	// Every replica reads the flag from the bucket.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := e.conn.JS.KeyValue(ctx, e.conn.Cfg.Name("parley_endpoints"))
	if err != nil {
		t.Fatal(err)
	}
	ent, err := kv.Get(ctx, dlq.Token(botID)+".gone")
	if err != nil {
		t.Fatalf("disabled record: %v", err)
	}
	if !strings.Contains(string(ent.Value()), gone.url()) {
		t.Errorf("disabled record %s does not name the URL", ent.Value())
	}
	other := e.start(fastConfig())
	if !other.svc.ChannelDisabled(botID, "gone") {
		t.Error("a second replica does not see the channel as disabled")
	}
	if _, err := kv.Get(ctx, dlq.Token(botID)+".fine"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("fine channel record: %v", err)
	}
}

// An endpoint that fails every attempt for DisableAfter gets its channel
// disabled, as a 410 does, for every replica; an endpoint that recovers
// before that has its run of failures forgotten.
func TestContinuousFailureDisablesChannel(t *testing.T) {
	down := newReceiver(t, func(*http.Request, []byte, int64) int { return http.StatusInternalServerError })
	flaky := newReceiver(t, func(_ *http.Request, _ []byte, n int64) int {
		if n == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	e := newEnv(t,
		registry.Instance{InstanceID: "down", PostURL: down.url()},
		registry.Instance{InstanceID: "flaky", PostURL: flaky.url()},
	)
	cfg := fastConfig()
	cfg.RetrySchedule = repeat(50, 400*time.Millisecond) // 20 s of retries: longer than DisableAfter
	cfg.DisableAfter = 2 * time.Second
	d := e.start(cfg)
	p := e.publisher()
	p.reply("flaky", "u2", "hello")
	p.reply("down", "u1", "first")
	polltest.Until(t, "the flaky channel to deliver", 10*time.Second, func() bool { return flaky.distinct() >= 2 })
	polltest.Until(t, "the failing channel to be disabled", 15*time.Second, func() bool { return d.svc.ChannelDisabled(botID, "down") })
	p.reply("down", "u1", "later")
	polltest.Until(t, "dead letters", 10*time.Second, func() bool { return e.dlqCount() >= 4 })

	if d.svc.ChannelDisabled(botID, "flaky") {
		t.Error("the channel that recovered was disabled")
	}
	for _, dl := range e.deadLetters() {
		if dl.GetInstanceId() != "down" {
			t.Errorf("dead letter for channel %q", dl.GetInstanceId())
		}
		if dl.GetReason() != "endpoint_disabled" {
			t.Errorf("dead letter reason %q, want endpoint_disabled", dl.GetReason())
		}
	}
	if n := down.requests.Load(); n < 4 {
		t.Errorf("the failing endpoint got %d attempts before being disabled; it should have been retried for 2 s", n)
	}
	before := down.requests.Load()
	stayQuietFor(200 * time.Millisecond)
	if after := down.requests.Load(); after != before {
		t.Errorf("the disabled endpoint still gets requests: %d then %d", before, after)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := e.conn.JS.KeyValue(ctx, e.conn.Cfg.Name("parley_endpoints"))
	if err != nil {
		t.Fatal(err)
	}
	ent, err := kv.Get(ctx, dlq.Token(botID)+".down")
	if err != nil || !strings.Contains(string(ent.Value()), "every attempt failed since") {
		t.Errorf("disabled record: %v %v", ent, err)
	}
	if _, err := kv.Get(ctx, "failing."+dlq.Token(botID)+".flaky"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("the recovered channel's failure record is still there: %v", err)
	}
	if other := e.start(cfg); !other.svc.ChannelDisabled(botID, "down") {
		t.Error("a second replica does not see the channel as disabled")
	}
}

// A slow endpoint holds only its own channel: another channel's users are
// all served while it hangs, and the slow one never sees more than its
// concurrency limit.
func TestSlowEndpointDoesNotStallOthers(t *testing.T) {
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	slow := newReceiver(t, func(r *http.Request, _ []byte, _ int64) int {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	fast := newReceiver(t, nil)
	e := newEnv(t,
		registry.Instance{InstanceID: "slow", PostURL: slow.url(), MaxConcurrency: 2},
		registry.Instance{InstanceID: "fast", PostURL: fast.url()},
	)
	cfg := fastConfig()
	cfg.PerAttemptTimeout = time.Minute
	e.start(cfg)
	p := e.publisher()
	for u := range 6 {
		p.reply("slow", fmt.Sprintf("slow-user-%d", u), "hello")
	}
	polltest.Until(t, "the slow endpoint to be busy", 10*time.Second, func() bool { return inFlight.Load() == 2 })
	for r := range 4 {
		for u := range 10 {
			p.reply("fast", fmt.Sprintf("fast-user-%d", u), fmt.Sprintf("m%d", r))
		}
	}
	polltest.Until(t, "the fast channel", 20*time.Second, func() bool { return fast.distinct() >= 80 })
	if slow.count() != 0 {
		t.Fatalf("slow endpoint answered %d while held", slow.count())
	}
	if got := peak.Load(); got != 2 {
		t.Errorf("slow endpoint saw %d concurrent requests, limit 2", got)
	}
	close(release)
	polltest.Until(t, "the slow channel", 20*time.Second, func() bool { return slow.distinct() >= 12 })
	checkOnceInOrder(t, p, slow, fast)
	if got := peak.Load(); got > 2 {
		t.Errorf("slow endpoint saw %d concurrent requests, limit 2", got)
	}
}

// The breaker opens on failures, holds requests back while open without
// spending their attempts, probes after the timeout and closes.
func TestCircuitBreakerOpensAndCloses(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	var whileOpen int
	var openSince time.Time
	rc := newReceiver(t, func(*http.Request, []byte, int64) int {
		mu.Lock()
		// Requests that passed the breaker just before it opened may still
		// arrive in the first moments: only later arrivals, while the
		// breaker (300 ms) must still be open, count.
		if since := time.Since(openSince); !openSince.IsZero() && since >= 100*time.Millisecond && since < 250*time.Millisecond {
			whileOpen++
		}
		mu.Unlock()
		if !up.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := newEnv(t, registry.Instance{InstanceID: "async", PostURL: rc.url()})
	cfg := fastConfig()
	cfg.RetrySchedule = []time.Duration{0, 50 * time.Millisecond, 50 * time.Millisecond} // three attempts only
	cfg.Breaker = dispatcherConfigBreaker(0.5, 3, 10*time.Second, 300*time.Millisecond)
	d := e.start(cfg)
	p := e.publisher()
	for u := range 10 {
		p.reply("async", fmt.Sprintf("user-%d", u), "hello")
	}
	polltest.Until(t, "the circuit to open", 10*time.Second, func() bool { return d.svc.BreakerState(botID, "async") == "open" })
	mu.Lock()
	openSince = time.Now()
	mu.Unlock()
	up.Store(true)
	polltest.Until(t, "all deliveries", 20*time.Second, func() bool { return rc.distinct() >= 20 })
	if s := d.svc.BreakerState(botID, "async"); s != "closed" {
		t.Errorf("breaker %s after recovery, want closed", s)
	}
	checkOnceInOrder(t, p, rc)
	if n := e.dlqCount(); n != 0 {
		t.Errorf("%d dead letters: held-back attempts were spent while the circuit was open", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if whileOpen != 0 {
		t.Errorf("%d requests reached the endpoint while the circuit was open", whileOpen)
	}
}

// POST_URLs that resolve to loopback are refused unless private networks
// are allowed, including a name (localhost) that only resolves there.
func TestSSRFGuard(t *testing.T) {
	rc := newReceiver(t, nil)
	port := rc.srv.URL[strings.LastIndexByte(rc.srv.URL, ':')+1:]
	e := newEnv(t,
		registry.Instance{InstanceID: "ip", PostURL: "http://127.0.0.1:" + port + "/hook"},
		registry.Instance{InstanceID: "name", PostURL: "http://localhost:" + port + "/hook"},
	)
	cfg := fastConfig()
	cfg.AllowPrivateNetworks = false
	d := e.start(cfg)
	p := e.publisher()
	p.reply("ip", "u1", "to an IP")
	p.reply("name", "u2", "to a name")
	polltest.Until(t, "dead letters", 10*time.Second, func() bool { return e.dlqCount() >= 4 })
	if n := rc.requests.Load(); n != 0 {
		t.Fatalf("receiver got %d requests through the guard", n)
	}
	for _, dl := range e.deadLetters() {
		if dl.GetReason() != "destination_refused" || !strings.Contains(dl.GetLastError(), "loopback") {
			t.Errorf("dead letter %s: reason %q error %q", dl.GetMessageId(), dl.GetReason(), dl.GetLastError())
		}
		if len(dl.GetAttempts()) != 1 {
			t.Errorf("refused destination attempted %d times", len(dl.GetAttempts()))
		}
	}
	d.stop(t)

	cfg.AllowPrivateNetworks = true
	e.start(cfg)
	p.reply("ip", "u1", "allowed now")
	p.reply("name", "u2", "allowed now")
	polltest.Until(t, "deliveries once allowed", 10*time.Second, func() bool { return rc.distinct() >= 4 })
}
