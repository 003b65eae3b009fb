package processor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
	"github.com/parleyhq/parley/services/dialog/internal/memstore"
	"github.com/parleyhq/parley/services/dialog/internal/scopes"
	"github.com/parleyhq/parley/services/dialog/internal/script"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// errRedisDown stands for a store call during a Redis failover.
var errRedisDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// counterBot counts its turns in BotUserSession, reads a UserSession
// variable and writes another, so that each store is on its path.
func counterBot(t *testing.T) *engine.Bot {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("bot.yaml", `format: parley.bot/v1
id: st-0c0c0c0c-1d1d-4e4e-8f8f-2a2a2a2a2a2a
name: Counter
messages:
  default: "say count"
intents:
  - name: count
    task: count
    utterances: [count]
`)
	write("tasks/count.yaml", `id: dg-3b3b3b3b-4c4c-4d4d-8e8e-5f5f5f5f5f5f
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
      context.plan = UserSession.get("plan") || "none";
      UserSession.put("last", n);
    next: say
  - id: say
    type: message
    messages: ["count {{context.count}} plan {{context.plan}}"]
`)
	def, err := engine.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	bot, err := engine.Compile(def, engine.Options{Scripts: script.New(script.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	return bot
}

type oneBot struct{ b *engine.Bot }

func (o oneBot) Bot(id string) (*engine.Bot, bool) { return o.b, id == o.b.Def.ID }

// replies records what was emitted.
type replies struct {
	mu   sync.Mutex
	text []string
}

func (r *replies) Sync(_ context.Context, _ string, rep *eventsv1.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range rep.Messages {
		r.text = append(r.text, m.GetText())
	}
	return nil
}
func (r *replies) Async(context.Context, *eventsv1.Reply) error { return nil }

func (r *replies) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.text...)
}

// flakySessions fails loads or saves while told to.
type flakySessions struct {
	*memstore.Store
	failLoad, failSave bool
}

func (f *flakySessions) Load(ctx context.Context, key string) (session.Record, error) {
	if f.failLoad {
		return session.Record{}, fmt.Errorf("load session %s: %w", key, errRedisDown)
	}
	return f.Store.Load(ctx, key)
}

func (f *flakySessions) Save(ctx context.Context, key string, prev session.Record, next *dialogv1.Session, ttl time.Duration) (uint64, error) {
	if f.failSave {
		return 0, fmt.Errorf("save session %s: %w", key, errRedisDown)
	}
	return f.Store.Save(ctx, key, prev, next, ttl)
}

// flakyScopes fails reads while failGet is set, and the next failPuts
// writes.
type flakyScopes struct {
	*scopes.Memory
	mu       sync.Mutex
	failGet  bool
	failPuts int
}

func (f *flakyScopes) Get(ctx context.Context, ref scopes.Ref, key string) (any, bool, error) {
	f.mu.Lock()
	fail := f.failGet
	f.mu.Unlock()
	if fail {
		return nil, false, fmt.Errorf("get %s: %w: %w", key, scopes.ErrUnavailable, errRedisDown)
	}
	return f.Memory.Get(ctx, ref, key)
}

func (f *flakyScopes) Put(ctx context.Context, ref scopes.Ref, key string, v any, ttl time.Duration) error {
	f.mu.Lock()
	fail := f.failPuts > 0
	if fail {
		f.failPuts--
	}
	f.mu.Unlock()
	if fail {
		return fmt.Errorf("put %s: %w: %w", key, scopes.ErrUnavailable, errRedisDown)
	}
	return f.Memory.Put(ctx, ref, key, v, ttl)
}

type fixture struct {
	proc     *Processor
	sessions *flakySessions
	scopes   *flakyScopes
	out      *replies
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{sessions: &flakySessions{Store: memstore.New()}, scopes: &flakyScopes{Memory: scopes.NewMemory()}, out: &replies{}}
	f.proc = New(Config{Ports: Ports{Scopes: f.scopes}}, f.sessions, oneBot{counterBot(t)}, f.out,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

// turn processes one turn (a redelivery when seq is the last one again).
func (f *fixture) turn(t *testing.T, seq uint64) error {
	t.Helper()
	return f.proc.Process(t.Context(), Delivery{
		Turn: &eventsv1.Turn{TurnId: fmt.Sprintf("t%d", seq), BotId: counterBotID, UserId: "cs-app/ann", FromId: "ann",
			ConversationKey: "conv-ann", Text: "count", Mode: eventsv1.Mode_MODE_SYNC},
		Sequence: seq, ReplyTo: "inbox", Deadline: time.Now().Add(time.Minute),
	})
}

// TestStoreOutageRetriesTheTurn: while the session store or a shared scope
// cannot be read, the turn fails with an error (the consumer retries it
// later) and nothing is answered or saved; once the store is back, the
// retried turn is answered as if nothing had happened, never with the
// bot's failure message, and counted once.
func TestStoreOutageRetriesTheTurn(t *testing.T) {
	for _, outage := range []struct {
		name  string
		start func(*fixture)
		end   func(*fixture)
	}{
		{"session load", func(f *fixture) { f.sessions.failLoad = true }, func(f *fixture) { f.sessions.failLoad = false }},
		{"session save", func(f *fixture) { f.sessions.failSave = true }, func(f *fixture) { f.sessions.failSave = false }},
		{"scope read", func(f *fixture) { f.scopes.failGet = true }, func(f *fixture) { f.scopes.failGet = false }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.turn(t, 1); err != nil {
				t.Fatal(err)
			}
			outage.start(f)
			for range 3 { // the consumer's retries during the outage
				if err := f.turn(t, 2); err == nil {
					t.Fatal("a turn was taken as done while its store was down")
				}
			}
			if got := f.out.all(); len(got) != 1 {
				t.Fatalf("answered during the outage: %q", got)
			}
			outage.end(f)
			if err := f.turn(t, 2); err != nil {
				t.Fatalf("retry after the outage: %v", err)
			}
			want := []string{"count 1 plan none", "count 2 plan none"}
			if got := f.out.all(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("replies %q, want %q", got, want)
			}
		})
	}
}

// TestScopeWritesRideOutAShortOutage: a committed turn's shared-scope
// writes are retried while the store is briefly unavailable.
func TestScopeWritesRideOutAShortOutage(t *testing.T) {
	f := newFixture(t)
	f.scopes.failPuts = 2
	if err := f.turn(t, 1); err != nil {
		t.Fatal(err)
	}
	v, ok, err := f.scopes.Memory.Get(t.Context(), scopes.Ref{Kind: engine.ScopeUserSession, ID: "cs-app/ann"}, "last")
	if err != nil || !ok || fmt.Sprint(v) != "1" {
		t.Fatalf("UserSession.last = %v, %v, %v; want 1 written after the retries", v, ok, err)
	}
}

const counterBotID = "st-0c0c0c0c-1d1d-4e4e-8f8f-2a2a2a2a2a2a"
