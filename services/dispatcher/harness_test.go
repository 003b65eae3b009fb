package dispatcher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher"
	"github.com/parleyhq/parley/services/dispatcher/internal/delivery"
)

const (
	botID = "st-2b5e9b0c-6c1e-5d4a-9f3b-1a2b3c4d5e6f"
	appID = "cs-6a0b8b86-3c57-4f0e-9d5a-2b1f0c9e7d41"
)

// env is one JetStream server with a bus connection and a registry.
type env struct {
	t    testing.TB
	srv  *bustest.Server
	bus  bus.Config
	conn *bus.Conn
	reg  *registry.Static
}

func newEnv(t testing.TB, instances ...registry.Instance) *env {
	t.Helper()
	srv := bustest.RunJetStream(t)
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := conn.EnsureStreams(ctx); err != nil {
		t.Fatalf("streams: %v", err)
	}
	for i := range instances {
		instances[i].BotID = botID
		instances[i].App = appID
		instances[i].Enabled, instances[i].Approved = true, true
		if instances[i].Mode == "" {
			instances[i].Mode = registry.ModeAsync
		}
		if instances[i].Name == "" {
			instances[i].Name = instances[i].InstanceID
		}
	}
	reg, err := registry.NewStatic(registry.Config{
		Apps:      []registry.App{{ClientID: appID, Name: "A", ClientSecret: "secret-of-app-a-for-tests", Algorithms: []string{"HS256"}}},
		Bots:      []registry.Bot{{ID: botID, Name: "Bot", Path: "unused"}},
		Instances: instances,
	})
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	return &env{t: t, srv: srv, bus: cfg, conn: conn, reg: reg}
}

func testLogger() *slog.Logger {
	if os.Getenv("DISPATCHER_TEST_LOG") != "" {
		return logx.New(logx.Config{Level: "debug", Format: "text"}, os.Stderr)
	}
	return logx.Discard()
}

// fastConfig is a dispatcher configuration with test-sized timings.
func fastConfig() dispatcher.Config {
	return dispatcher.Config{
		AckWait:              3 * time.Second,
		LeaseTTL:             time.Second,
		DrainTimeout:         time.Second,
		PerAttemptTimeout:    5 * time.Second,
		RetrySchedule:        repeat(30, 2*time.Millisecond),
		MaxRetryDuration:     time.Minute,
		AllowPrivateNetworks: true,
		Breaker:              dispatcher.BreakerConfig{FailureRatio: 0.9, MinRequests: 1000, Window: 10 * time.Second, OpenTimeout: 100 * time.Millisecond},
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := 1; i < n; i++ {
		out[i] = d
	}
	return out
}

// running is a started dispatcher.
type running struct {
	svc    *dispatcher.Service
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// stop cancels Run and waits for it.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("dispatcher Run: %v", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dispatcher did not stop")
	}
}

func (e *env) start(cfg dispatcher.Config, deps ...func(*dispatcher.Deps)) *running {
	t := e.t
	t.Helper()
	d := dispatcher.Deps{Bus: e.conn, Registry: e.reg, Logger: testLogger()}
	for _, f := range deps {
		f(&d)
	}
	svc, err := dispatcher.New(cfg, d)
	if err != nil {
		t.Fatalf("dispatcher.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = svc.Run(ctx); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	select {
	case <-svc.Ready():
	case <-r.done:
		t.Fatalf("dispatcher stopped during start: %v", r.err)
	case <-time.After(20 * time.Second):
		t.Fatal("dispatcher not ready")
	}
	return r
}

// publisher emits replies as the dialog service does and remembers, per
// user, the webhook ids in production order.
type publisher struct {
	e        *env
	mu       sync.Mutex
	expected map[string][]string // from.id -> ids in order
	n        atomic.Int64
}

func (e *env) publisher() *publisher { return &publisher{e: e, expected: map[string][]string{}} }

// reply publishes one reply with texts as its messages, plus its status.
func (p *publisher) reply(instanceID, from string, texts ...string) *eventsv1.Reply {
	t := p.e.t
	t.Helper()
	turn := fmt.Sprintf("turn-%d", p.n.Add(1))
	user := appID + "/" + from
	r := &eventsv1.Reply{
		TurnId: turn, BotId: botID, InstanceId: instanceID, UserId: user, FromId: from,
		ConversationKey: bus.ConversationKey(botID, user), Mode: eventsv1.Mode_MODE_ASYNC,
		EndOfTask: true, EndReason: "Fulfilled", CompletedTaskId: "dg-1", CompletedTaskName: "Check balance",
		ProducedAt: timestamppb.Now(),
	}
	for i, txt := range texts {
		r.Messages = append(r.Messages, &eventsv1.BotMessage{MessageId: fmt.Sprintf("ms-%s-%d", turn, i), Body: &eventsv1.BotMessage_Text{Text: txt}})
	}
	p.publish(r)
	return r
}

func (p *publisher) publish(r *eventsv1.Reply) {
	t := p.e.t
	t.Helper()
	data, err := proto.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	for _, m := range r.Messages {
		p.expected[r.FromId] = append(p.expected[r.FromId], m.MessageId)
	}
	p.expected[r.FromId] = append(p.expected[r.FromId], statusID(r.TurnId))
	p.mu.Unlock()
	msg := bus.Message{
		Subject: p.e.conn.Cfg.ReplySubject(r.BotId, r.ConversationKey), Data: data,
		ID: "reply-" + r.TurnId, Header: map[string]string{bus.HeaderTurnID: r.TurnId},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.e.conn.Publish(ctx, nil, msg); err != nil {
		t.Fatalf("publish reply: %v", err)
	}
}

func (p *publisher) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ids := range p.expected {
		n += len(ids)
	}
	return n
}

// hit is one POST a receiver answered with a 2xx.
type hit struct {
	ID     string
	Header http.Header
	Body   []byte
	To     string
}

// receiver is an httptest server that records what it accepted.
type receiver struct {
	srv      *httptest.Server
	requests atomic.Int64
	// decide returns the status for a request (n counts from 1); nil: 200.
	decide func(r *http.Request, body []byte, n int64) int

	mu       sync.Mutex
	ok       map[string]int      // webhook-id -> 2xx answers
	byUser   map[string][]string // "to" -> ids in 2xx order
	accepted []hit
}

func newReceiver(t testing.TB, decide func(r *http.Request, body []byte, n int64) int) *receiver {
	rc := &receiver{decide: decide, ok: map[string]int{}, byUser: map[string][]string{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	n := rc.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	code := http.StatusOK
	if rc.decide != nil {
		code = rc.decide(r, body, n)
	}
	if code >= 200 && code < 300 {
		var b struct {
			To string `json:"to"`
		}
		_ = json.Unmarshal(body, &b)
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.ok[id]++
		rc.byUser[b.To] = append(rc.byUser[b.To], id)
		rc.accepted = append(rc.accepted, hit{ID: id, Header: r.Header.Clone(), Body: body, To: b.To})
		rc.mu.Unlock()
	}
	w.WriteHeader(code)
}

func (rc *receiver) url() string { return rc.srv.URL + "/hook" }

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.accepted)
}

func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.ok)
}

// times is how often id was answered with a 2xx.
func (rc *receiver) times(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.ok[id]
}

func (rc *receiver) snapshot() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.accepted...)
}

// checkOnceInOrder asserts that every expected id was accepted exactly once
// and, per user, in production order.
func checkOnceInOrder(t testing.TB, p *publisher, receivers ...*receiver) {
	t.Helper()
	ok := map[string]int{}
	byUser := map[string][]string{}
	for _, rc := range receivers {
		rc.mu.Lock()
		for id, n := range rc.ok {
			ok[id] += n
		}
		for u, ids := range rc.byUser {
			byUser[u] = append(byUser[u], ids...)
		}
		rc.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for user, want := range p.expected {
		for _, id := range want {
			if ok[id] != 1 {
				t.Errorf("user %s: message %s accepted %d times, want 1", user, id, ok[id])
			}
		}
		got := byUser[user]
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("user %s: order\n got %v\nwant %v", user, got, want)
		}
	}
}

// dlqCount reads the number of dead letters in the stream.
func (e *env) dlqCount() uint64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.conn.JS.Stream(ctx, e.conn.Cfg.Name(bus.StreamDeadLetters))
	if err != nil {
		e.t.Fatalf("dlq stream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		e.t.Fatalf("dlq info: %v", err)
	}
	return info.State.Msgs
}

func statusID(turnID string) string { return delivery.DerivedID(turnID, "status") }

func dispatcherConfigBreaker(ratio float64, minReq int, window, open time.Duration) dispatcher.BreakerConfig {
	return dispatcher.BreakerConfig{FailureRatio: ratio, MinRequests: minReq, Window: window, OpenTimeout: open}
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return lis
}

func registryInstance(id, url string, secrets ...string) registry.Instance {
	return registry.Instance{InstanceID: id, PostURL: url, SigningSecrets: secrets}
}

// channel is the metrics label of an instance of the test bot.
func (e *env) channel(instanceID string) string {
	if instanceID == "" {
		return botID
	}
	return botID + "/" + instanceID
}
