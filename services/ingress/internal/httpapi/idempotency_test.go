package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/idempotency"
)

// The handler's ports are faked here (registry, token check, bus); the
// idempotency store is the real JetStream KV one. The whole path through
// the real broker, bot and Redis is tested in cmd/parley/app.

type fakeRegistry struct{ insts map[string]registry.Instance }

func (f fakeRegistry) App(string) (registry.App, bool) { return registry.App{}, false }
func (f fakeRegistry) Bot(string) (registry.Bot, bool) { return registry.Bot{}, false }
func (f fakeRegistry) Instance(bot, inst string) (registry.Instance, bool) {
	i, ok := f.insts[bot+"/"+inst]
	return i, ok
}
func (f fakeRegistry) Bots() []registry.Bot           { return nil }
func (f fakeRegistry) Instances() []registry.Instance { return nil }

type anyToken struct{}

func (anyToken) Verify(context.Context, string, registry.Instance) (auth.Identity, error) {
	return auth.Identity{AppID: "cs-app"}, nil
}

// fakeBus records published turns; a sync turn is answered when the test
// sends on release (or fails when fail is set).
type fakeBus struct {
	mu      sync.Mutex
	turns   []*eventsv1.Turn
	release chan string
	fail    bool
}

func (b *fakeBus) Publish(_ context.Context, t *eventsv1.Turn, _ time.Time) (Waiter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail {
		return nil, fmt.Errorf("bus down")
	}
	b.turns = append(b.turns, t)
	return waiter{b.release}, nil
}

func (b *fakeBus) published() []*eventsv1.Turn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*eventsv1.Turn(nil), b.turns...)
}

type waiter struct{ release chan string }

func (w waiter) Wait(ctx context.Context) (*eventsv1.Reply, error) {
	select {
	case text := <-w.release:
		return &eventsv1.Reply{Messages: []*eventsv1.BotMessage{{Body: &eventsv1.BotMessage_Text{Text: text}}}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
func (waiter) Cancel() {}

func newIdempotentHandler(t *testing.T, bus *fakeBus) *httptest.Server {
	t.Helper()
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	store, err := idempotency.NewKV(t.Context(), conn.JS, "idem_handler", 1)
	if err != nil {
		t.Fatal(err)
	}
	reg := fakeRegistry{insts: map[string]registry.Instance{
		"st-bot/":      {BotID: "st-bot", App: "cs-app", Mode: registry.ModeSync, Enabled: true, Approved: true},
		"st-bot/async": {BotID: "st-bot", InstanceID: "async", App: "cs-app", Mode: registry.ModeAsync, Enabled: true, Approved: true},
	}}
	h, err := New(reg, anyToken{}, bus, store, nil, Limits{MaxBodyBytes: 1 << 16, MaxTextChars: 3000, SyncTimeout: 10 * time.Second},
		slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

type answer struct {
	status   int
	body     string
	replayed bool
}

func postIdem(t *testing.T, url, key, user, text string) answer {
	t.Helper()
	body := fmt.Sprintf(`{"message":{"text":%q},"from":{"id":%q}}`, text, user)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "bearer x")
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, strings.TrimSpace(string(raw)), resp.Header.Get(HeaderIdempotentReplay) == "true"}
}

func TestIdempotencyKeySync(t *testing.T) {
	bus := &fakeBus{release: make(chan string, 1)}
	ts := newIdempotentHandler(t, bus)
	url := ts.URL + "/chatbot/hooks/st-bot"

	// A retry while the first request waits for its reply is told to wait.
	first := make(chan answer, 1)
	go func() { first <- postIdem(t, url, "k-1", "ann", "show my balance") }()
	waitFor(t, func() bool { return len(bus.published()) == 1 })
	if a := postIdem(t, url, "k-1", "ann", "show my balance"); a.status != http.StatusConflict || !strings.Contains(a.body, "still being processed") {
		t.Fatalf("retry in flight = %+v, want 409", a)
	}
	bus.release <- "Which account?"
	a := <-first
	if a.status != http.StatusOK || a.body != `{"text":["Which account?"],"endOfTask":false}` || a.replayed {
		t.Fatalf("first answer = %+v", a)
	}

	// Once answered, a retry gets the same answer and no new turn.
	b := postIdem(t, url, "k-1", "ann", "show my balance")
	if b.status != a.status || b.body != a.body || !b.replayed {
		t.Fatalf("retry = %+v, want a replay of %+v", b, a)
	}
	if n := len(bus.published()); n != 1 {
		t.Fatalf("%d turns published, want 1", n)
	}

	// The turn id, and so the Nats-Msg-Id, derives from the key.
	want := bus.published()[0].TurnId
	for _, c := range []struct{ key, user string }{{"k-1", "bob"}, {"k-2", "ann"}} {
		bus.release <- "ok"
		if a := postIdem(t, url, c.key, c.user, "show my balance"); a.status != http.StatusOK || a.replayed {
			t.Fatalf("%+v: %+v, want a new turn", c, a)
		}
	}
	turns := bus.published()
	if len(turns) != 3 || turns[1].TurnId == want || turns[2].TurnId == want || turns[1].TurnId == turns[2].TurnId {
		t.Fatalf("turn ids %s, %s, %s: want one per (user, key)", want, turns[1].TurnId, turns[2].TurnId)
	}

	// The same key with another body is refused, and a bad key too.
	if a := postIdem(t, url, "k-1", "ann", "open an account"); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("reused key = %+v, want 422", a)
	}
	for _, bad := range []string{strings.Repeat("x", 256), "has space", "tab\there"} {
		if a := postIdem(t, url, bad, "ann", "hi"); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Idempotency-Key") {
			t.Errorf("key %q = %+v, want 400 naming the header", bad, a)
		}
	}
	if n := len(bus.published()); n != 3 {
		t.Fatalf("%d turns published after refusals, want 3", n)
	}

	// Without the header nothing changes: two posts, two turns.
	bus.release <- "a"
	postIdem(t, url, "", "ann", "hi")
	bus.release <- "b"
	postIdem(t, url, "", "ann", "hi")
	if n := len(bus.published()); n != 5 {
		t.Fatalf("%d turns published, want 5", n)
	}
}

func TestIdempotencyKeyAsyncAndRefusedPublish(t *testing.T) {
	bus := &fakeBus{release: make(chan string, 1)}
	ts := newIdempotentHandler(t, bus)
	url := ts.URL + "/chatbot/hooks/st-bot/hookInstance/async"

	// A turn the bus refused is forgotten: the retry is taken as new.
	bus.fail = true
	if a := postIdem(t, url, "k-9", "ann", "hello"); a.status != http.StatusServiceUnavailable {
		t.Fatalf("refused publish = %+v, want 503", a)
	}
	bus.fail = false
	for i, want := range []bool{false, true, true} {
		a := postIdem(t, url, "k-9", "ann", "hello")
		if a.status != http.StatusOK || a.body != "" || a.replayed != want {
			t.Fatalf("post %d = %+v, want 200 with an empty body, replayed %v", i, a, want)
		}
	}
	if n := len(bus.published()); n != 1 {
		t.Fatalf("%d turns published, want 1", n)
	}
}
