package convtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/botnlu"
	"github.com/parleyhq/parley/services/dialog/convtest"
	"github.com/parleyhq/parley/services/dialog/fakebank"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
	"github.com/parleyhq/parley/services/dialog/internal/httpcall"
	"github.com/parleyhq/parley/services/dialog/internal/memstore"
	"github.com/parleyhq/parley/services/dialog/internal/processor"
	"github.com/parleyhq/parley/services/dialog/internal/scopes"
	"github.com/parleyhq/parley/services/dialog/internal/script"
)

const bankingDir = "../../../examples/bots/banking"

// inProcess drives the processor directly: the same code path as the
// service minus NATS and HTTP, with the context visible for assertions.
type inProcess struct {
	proc  *processor.Processor
	store *memstore.Store
	bot   *engine.Bot
	emit  *capture
	mu    sync.Mutex
	seq   uint64
}

type capture struct{ last *eventsv1.Reply }

func (c *capture) Sync(_ context.Context, _ string, r *eventsv1.Reply) error { c.last = r; return nil }
func (c *capture) Async(context.Context, *eventsv1.Reply) error              { return nil }

type oneBot struct{ b *engine.Bot }

func (o oneBot) Bot(id string) (*engine.Bot, bool) { return o.b, id == o.b.Def.ID }

func newInProcess(t testing.TB, recognizer engine.RecognizerFactory, extractor engine.EntityExtractor) *inProcess {
	t.Helper()
	bank := httptest.NewServer(fakebank.Handler())
	t.Cleanup(bank.Close)
	def, err := engine.Load(bankingDir)
	if err != nil {
		t.Fatal(err)
	}
	bot, err := engine.Compile(def, engine.Options{
		Recognizer: recognizer, Scripts: script.New(script.Config{}), Env: map[string]string{"bank_url": bank.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	ip := &inProcess{store: memstore.New(), bot: bot, emit: &capture{}}
	ip.proc = processor.New(processor.Config{Ports: processor.Ports{
		Extractor: extractor,
		Services:  httpcall.New(httpcall.Config{AllowPrivate: true}),
		Scopes:    scopes.NewMemory(),
	}}, ip.store, oneBot{bot}, ip.emit, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return ip
}

func (ip *inProcess) Send(ctx context.Context, user string, t convtest.Turn, newSession bool) (convtest.Reply, error) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	ip.seq++
	turn := &eventsv1.Turn{
		TurnId: fmt.Sprintf("t%d", ip.seq), BotId: ip.bot.Def.ID, UserId: "cs-test/" + user, FromId: user,
		ConversationKey: "conv-" + user, Text: t.User, SessionNew: newSession, Mode: eventsv1.Mode_MODE_SYNC,
	}
	if t.Form != nil {
		fd := &eventsv1.FormData{FormId: t.Form.FormID}
		for _, in := range t.Form.Data {
			v, err := structpb.NewValue(in.Input)
			if err != nil {
				return convtest.Reply{}, err
			}
			fd.Data = append(fd.Data, &eventsv1.FormInput{ComponentId: in.ComponentID, Input: v})
		}
		turn.FormData = fd
	}
	ip.emit.last = nil
	err := ip.proc.Process(ctx, processor.Delivery{Turn: turn, Sequence: ip.seq, ReplyTo: "inbox", Deadline: time.Now().Add(time.Minute)})
	if err != nil {
		return convtest.Reply{}, err
	}
	r := ip.emit.last
	if r == nil {
		return convtest.Reply{}, errors.New("no reply")
	}
	out := convtest.Reply{EndOfTask: r.EndOfTask, EndReason: r.EndReason, CompletedTaskID: r.CompletedTaskId, CompletedTaskName: r.CompletedTaskName}
	for _, m := range r.Messages {
		if tpl := m.GetTemplate(); tpl != nil {
			out.Messages = append(out.Messages, tpl.AsMap())
		} else {
			out.Messages = append(out.Messages, m.GetText())
		}
	}
	if r.Form != nil {
		out.Form = map[string]any{"formDef": r.Form.FormDef.AsMap()}
	}
	rec, err := ip.store.Load(ctx, turn.ConversationKey)
	if err != nil {
		return convtest.Reply{}, err
	}
	var b struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(rec.Session.ContextJson, &b); err != nil {
		return convtest.Reply{}, err
	}
	out.Context = b.Context
	return out, nil
}

func bankingFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(bankingDir, "tests", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conversation files: %v", err)
	}
	return files
}

// TestBankingConversations replays examples/bots/banking/tests through the
// processor with the real NLU, and again with the engine's fallbacks, so a
// change in either shows up here.
func TestBankingConversations(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  engine.RecognizerFactory
		ext  engine.EntityExtractor
	}{
		{"nlu", botnlu.Recognizer, &botnlu.Extractor{}},
		{"fallback", engine.NewFallbackRecognizer, engine.FallbackExtractor{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			passed, failed, err := convtest.RunWith(t.Context(), newInProcess(t, tc.rec, tc.ext), bankingFiles(t), &out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d passed, %d failed\n%s", passed, failed, out.String())
			if failed > 0 || passed == 0 {
				t.Fatalf("%d conversations failed:\n%s", failed, out.String())
			}
		})
	}
}

// BenchmarkProcessorTurn is one banking turn through the processor with the
// real NLU and an in-memory session store: "show my balance" (classify,
// start the task, prompt) then "Salary" (extract, script node, message).
func BenchmarkProcessorTurn(b *testing.B) {
	ip := newInProcess(b, botnlu.Recognizer, &botnlu.Extractor{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		user := fmt.Sprintf("u%d", i)
		if _, err := ip.Send(b.Context(), user, convtest.Turn{User: "show my balance"}, true); err != nil {
			b.Fatal(err)
		}
		if _, err := ip.Send(b.Context(), user, convtest.Turn{User: "Salary"}, false); err != nil {
			b.Fatal(err)
		}
	}
}
