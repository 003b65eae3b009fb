// Package processor is the dialog service's use case: apply one turn to its
// conversation exactly once in effect, and emit the reply.
//
// A turn is applied by loading the session, running the bot, and saving the
// session with a compare-and-set on its version fenced by the turn's stream
// sequence. The reply is kept in the session beside the fencing token, so
// that a redelivered turn, already applied, re-emits the very same reply
// instead of running the bot again.
package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/korewire"
	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
	"github.com/parleyhq/parley/services/dialog/internal/scopes"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Delivery is one turn as the bus handed it over.
type Delivery struct {
	Turn *eventsv1.Turn
	// Sequence is the turn's stream sequence: the fencing token.
	Sequence uint64
	// ReplyTo is set for synchronous turns, with the time nobody waits after.
	ReplyTo  string
	Deadline time.Time
}

// Emitter sends replies.
type Emitter interface {
	// Sync answers a waiting ingress.
	Sync(ctx context.Context, replyTo string, r *eventsv1.Reply) error
	// Async stores the reply for the dispatcher (idempotent per turn).
	Async(ctx context.Context, r *eventsv1.Reply) error
}

// Bots resolves compiled bots.
type Bots interface {
	Bot(id string) (*engine.Bot, bool)
}

// Handoffs receives agent-transfer requests once the turn has committed.
type Handoffs interface {
	Handoff(ctx context.Context, turn *eventsv1.Turn, h *engine.Handoff) error
}

// Ports are the processor's outbound adapters; nil ones are replaced by
// safe defaults (no service calls, in-memory scopes, logged handoffs).
type Ports struct {
	Extractor engine.EntityExtractor
	Services  engine.ServiceCaller
	Scopes    scopes.Store
	Handoffs  Handoffs
	// Channels gives a webhook instance's own standard responses (Kore's
	// channel-specific overrides); nil means none.
	Channels Channels
}

// Channels resolves channel-specific standard responses.
type Channels interface {
	StandardResponses(botID, instanceID string) map[string]string
}

// ErrUnknownBot is permanent: the turn names a bot this service does not run.
var ErrUnknownBot = errors.New("unknown bot")

// Config of the processor.
type Config struct {
	// SessionGrace keeps a session this long past its idle timeout so that
	// closing logic still finds it (and the fencing token survives).
	SessionGrace time.Duration
	// RecentReplies is how many applied turns keep their reply.
	RecentReplies int
	// HistoryLimit bounds context.history.
	HistoryLimit int
	// EnterpriseID names the EnterpriseContext scope (default "default").
	EnterpriseID string
	// Ports are the adapters for service calls, entities, scopes, handoffs.
	Ports Ports
}

// Processor applies turns.
type Processor struct {
	cfg   Config
	store session.Store
	bots  Bots
	emit  Emitter
	log   *slog.Logger
	now   func() time.Time
}

// New returns a processor.
func New(cfg Config, store session.Store, bots Bots, emit Emitter, log *slog.Logger) *Processor {
	if cfg.SessionGrace == 0 {
		cfg.SessionGrace = time.Hour
	}
	if cfg.RecentReplies == 0 {
		cfg.RecentReplies = 8
	}
	if cfg.HistoryLimit == 0 {
		cfg.HistoryLimit = 20
	}
	if cfg.EnterpriseID == "" {
		cfg.EnterpriseID = "default"
	}
	if cfg.Ports.Scopes == nil {
		cfg.Ports.Scopes = scopes.NewMemory()
	}
	if cfg.Ports.Extractor == nil {
		cfg.Ports.Extractor = engine.FallbackExtractor{}
	}
	return &Processor{cfg: cfg, store: store, bots: bots, emit: emit, log: log, now: time.Now}
}

// maxConflicts bounds re-reads when another writer races on the session;
// the lane retries the whole turn after that.
const maxConflicts = 5

// Process applies d once in effect and emits its reply.
func (p *Processor) Process(ctx context.Context, d Delivery) error {
	turn := d.Turn
	bot, ok := p.bots.Bot(turn.BotId)
	if !ok {
		return fmt.Errorf("turn %s: %w %s", turn.TurnId, ErrUnknownBot, turn.BotId)
	}
	key := turn.ConversationKey
	for range maxConflicts {
		rec, err := p.store.Load(ctx, key)
		if err != nil {
			return err
		}
		if d.Sequence <= rec.LastSequence() {
			return p.reemit(ctx, d, rec)
		}
		next, reply, fx, err := p.apply(ctx, bot, rec, d)
		if err != nil {
			return err
		}
		if err := unavailable(fx.errs); err != nil {
			// A shared variable could not be read (Redis failing over):
			// answering now would answer as if it were unset. Nothing is
			// saved; the turn is retried later, like a failed load.
			return fmt.Errorf("turn %s: %w", turn.TurnId, err)
		}
		_, err = p.store.Save(ctx, key, rec, next, bot.Def.Session.IdleTimeout+p.cfg.SessionGrace)
		switch {
		case err == nil:
			if p.log.Enabled(ctx, slog.LevelDebug) {
				// The bot's privacy setting decides what of the text is shown.
				p.log.DebugContext(ctx, "turn applied", "turn_id", d.Turn.TurnId, "bot_id", d.Turn.BotId,
					"seq", d.Sequence, "text", bot.Def.Privacy.LogText.Text(d.Turn.Text),
					"messages", len(reply.Messages), "end_of_task", reply.EndOfTask)
			}
			p.effects(ctx, d, fx)
			return p.send(ctx, d, reply)
		case errors.Is(err, session.ErrConflict), errors.Is(err, session.ErrStale):
			continue // re-read: either retry or find the turn applied
		default:
			return err
		}
	}
	return fmt.Errorf("turn %s: session %s kept changing", turn.TurnId, key)
}

// reemit answers a turn that is already applied with its recorded reply.
func (p *Processor) reemit(ctx context.Context, d Delivery, rec session.Record) error {
	for _, a := range rec.Session.GetRecent() {
		if a.TurnSequence == d.Sequence {
			p.log.InfoContext(ctx, "turn already applied; re-emitting its reply", "turn_id", d.Turn.TurnId, "seq", d.Sequence)
			return p.send(ctx, d, a.Reply)
		}
	}
	p.log.WarnContext(ctx, "turn already applied and its reply is no longer kept; dropping", "turn_id", d.Turn.TurnId, "seq", d.Sequence)
	return nil
}

func (p *Processor) send(ctx context.Context, d Delivery, r *eventsv1.Reply) error {
	if d.ReplyTo != "" {
		// A reply past the deadline is still sent: the ingress counts and
		// logs it as late instead of it vanishing silently.
		if late := p.now().Sub(d.Deadline); late > 0 {
			p.log.InfoContext(ctx, "sync reply after the caller's deadline", "turn_id", d.Turn.TurnId, "late_by", late)
		}
		if err := p.emit.Sync(ctx, d.ReplyTo, r); err != nil {
			return fmt.Errorf("send sync reply of %s: %w", d.Turn.TurnId, err)
		}
	}
	if d.Turn.Mode == eventsv1.Mode_MODE_ASYNC {
		if err := p.emit.Async(ctx, r); err != nil {
			return fmt.Errorf("store async reply of %s: %w", d.Turn.TurnId, err)
		}
	}
	return nil
}

// effects are what a committed turn does outside its session.
type effects struct {
	scopes  scopes.Bound
	ops     []engine.ScopeOp
	handoff *engine.Handoff
	errs    []error
}

// effects applies a committed turn's scope writes and handoff. They are
// not retried with the turn: a redelivered turn re-emits its reply without
// running the bot, so shared-scope writes are at most once (retried in
// place through a short store outage, see applyScopes).
func (p *Processor) effects(ctx context.Context, d Delivery, fx effects) {
	for _, err := range fx.errs {
		p.log.WarnContext(ctx, "dialog turn problem", "turn_id", d.Turn.TurnId, "bot_id", d.Turn.BotId, "err", err)
	}
	if err := applyScopes(ctx, fx); err != nil {
		p.log.ErrorContext(ctx, "scope write failed", "turn_id", d.Turn.TurnId, "err", err)
	}
	if fx.handoff == nil {
		return
	}
	if h := p.cfg.Ports.Handoffs; h != nil {
		if err := h.Handoff(ctx, d.Turn, fx.handoff); err != nil {
			p.log.ErrorContext(ctx, "agent handoff failed", "turn_id", d.Turn.TurnId, "err", err)
		}
		return
	}
	p.log.WarnContext(ctx, "agent transfer requested but no handoff sink is wired",
		"turn_id", d.Turn.TurnId, "task", fx.handoff.TaskName, "queue", fx.handoff.Queue)
}

// unavailable returns the first of a run's errors that says a store may
// come back (scopes.ErrUnavailable), or nil.
func unavailable(errs []error) error {
	for _, err := range errs {
		if errors.Is(err, scopes.ErrUnavailable) {
			return err
		}
	}
	return nil
}

// scopeWriteBudget bounds how long a committed turn keeps retrying shared
// scope writes that met an unavailable store (a Redis failover lasts a few
// seconds) before it gives them up and answers.
const scopeWriteBudget = 5 * time.Second

// applyScopes applies a committed turn's scope writes, retrying them while
// the store is unavailable and the budget lasts. Applying the whole list
// again is safe: puts and deletes in the same order end in the same state.
func applyScopes(ctx context.Context, fx effects) error {
	deadline := time.Now().Add(scopeWriteBudget)
	delay := 100 * time.Millisecond
	for {
		err := fx.scopes.Apply(ctx, fx.ops)
		if err == nil || !errors.Is(err, scopes.ErrUnavailable) || time.Now().Add(delay).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// blob is what the session's context_json holds: Kore's context object and
// the engine's dialog state beside it.
type blob struct {
	Context map[string]any `json:"context"`
	Dialog  engine.State   `json:"dialog"`
}

// apply computes the next session and the reply; its only I/O is through
// the engine's ports (service calls, scope reads).
func (p *Processor) apply(ctx context.Context, bot *engine.Bot, rec session.Record, d Delivery) (*dialogv1.Session, *eventsv1.Reply, effects, error) {
	turn, now := d.Turn, p.now()
	next := &dialogv1.Session{}
	if rec.Session != nil {
		next = proto.Clone(rec.Session).(*dialogv1.Session)
	}
	var b blob
	if len(next.ContextJson) > 0 {
		if err := json.Unmarshal(next.ContextJson, &b); err != nil {
			return nil, nil, effects{}, fmt.Errorf("decode context of %s: %w", turn.ConversationKey, err)
		}
	}
	if b.Context == nil {
		b.Context = map[string]any{}
	}
	idle := next.LastActivity != nil && now.Sub(next.LastActivity.AsTime()) > bot.Def.Session.IdleTimeout
	// SESSION_CLOSURE closes the session (contract §3.2, §4.4): the next
	// one starts afresh, as after session.new.
	closing := turn.Event == "SESSION_CLOSURE"
	active := rec.Session != nil && next.SessionId != "" && !idle
	if rec.Session == nil || turn.SessionNew || idle || closing || next.SessionId == "" {
		b.Context = newContext(b.Context)
		b.Dialog = engine.State{}
		next.SessionId = uuid.NewString()
		next.StartedAt = timestamppb.New(now)
		if closing {
			next.SessionId = "" // closed: the next turn opens a new one
		}
	}
	next.ConversationKey, next.BotId, next.UserId = turn.ConversationKey, turn.BotId, turn.UserId
	next.LastActivity = timestamppb.New(now)
	next.LastTurnSequence = d.Sequence
	recordTurn(b.Context, turn, now)
	b.Context["botid"] = turn.BotId

	bound := scopes.Bound{Store: p.cfg.Ports.Scopes, Enterprise: p.cfg.EnterpriseID, Bot: turn.BotId, User: turn.UserId, Conversation: turn.ConversationKey}
	var out engine.Output
	if !closing {
		out = bot.Run(ctx, engine.Input{
			Text: turn.Text, Form: formSubmission(turn.FormData), Event: turn.Event, Context: b.Context, State: &b.Dialog, Now: now,
			Extractor: p.cfg.Ports.Extractor, Services: p.cfg.Ports.Services, Scopes: bound,
			Overrides: p.overrides(turn),
		})
	}
	reply := &eventsv1.Reply{
		TurnId: turn.TurnId, BotId: turn.BotId, InstanceId: turn.InstanceId, UserId: turn.UserId,
		FromId: turn.FromId, ConversationKey: turn.ConversationKey, Mode: turn.Mode,
		EndOfTask:     out.EndOfTask,
		MergeIdentity: turn.MergeIdentity, TurnSequence: d.Sequence, ProducedAt: timestamppb.New(now),
		ApiVersion: turn.ApiVersion,
	}
	if le := out.LastEnded; le != nil {
		reply.EndReason, reply.CompletedTaskId, reply.CompletedTaskName = le.Reason, le.ID, le.Name
	}
	if closing {
		reply.SessionClosure = korewire.SessionClosureIgnored
		if active {
			reply.SessionClosure = korewire.SessionClosureSuccess
		}
	}
	for _, m := range out.Messages {
		bm := &eventsv1.BotMessage{MessageId: "ms-" + uuid.NewString()}
		if m.Template != nil {
			st, err := structpb.NewStruct(jsonShape(m.Template).(map[string]any))
			if err != nil {
				out.Errors = append(out.Errors, fmt.Errorf("template message: %w", err))
				continue
			}
			bm.Body = &eventsv1.BotMessage_Template{Template: st}
		} else {
			bm.Body = &eventsv1.BotMessage_Text{Text: m.Text}
		}
		reply.Messages = append(reply.Messages, bm)
	}
	if out.Form != nil {
		def, err1 := structpb.NewStruct(jsonShape(out.Form.Def).(map[string]any))
		init, err2 := structpb.NewStruct(jsonShape(out.Form.Init).(map[string]any))
		if err := errors.Join(err1, err2); err != nil {
			return nil, nil, effects{}, fmt.Errorf("encode form of %s: %w", turn.TurnId, err)
		}
		reply.Form = &eventsv1.Form{FormDef: def, FormInitialization: init}
	}
	if h := out.Handoff; h != nil {
		reply.AgentHandoff = &eventsv1.AgentHandoff{
			TurnId: turn.TurnId, BotId: turn.BotId, InstanceId: turn.InstanceId, UserId: turn.UserId,
			FromId: turn.FromId, ConversationKey: turn.ConversationKey,
			TaskId: h.TaskID, TaskName: h.TaskName, NodeId: h.NodeID, Queue: h.Queue,
			RequestedAt: timestamppb.New(now),
		}
	}
	appendHistory(b.Context, turn, reply, now, p.cfg.HistoryLimit)

	data, err := json.Marshal(b)
	if err != nil {
		return nil, nil, effects{}, fmt.Errorf("encode context of %s: %w", turn.ConversationKey, err)
	}
	if len(data) > maxContext {
		return nil, nil, effects{}, fmt.Errorf("context of %s is %d bytes, over Kore's 1024 KB limit", turn.ConversationKey, len(data))
	}
	next.ContextJson = data
	next.Recent = append(next.Recent, &dialogv1.AppliedTurn{TurnSequence: d.Sequence, TurnId: turn.TurnId, Reply: reply})
	if n := len(next.Recent) - p.cfg.RecentReplies; n > 0 {
		next.Recent = next.Recent[n:]
	}
	return next, reply, effects{scopes: bound, ops: out.ScopeOps, handoff: out.Handoff, errs: out.Errors}, nil
}

// maxContext is Kore's context size limit.
const maxContext = 1024 << 10

// formSubmission reads a form submission; ingress already accepted both
// documented shapes.
func formSubmission(fd *eventsv1.FormData) *engine.FormSubmission {
	if fd == nil {
		return nil
	}
	fs := &engine.FormSubmission{FormID: fd.FormId, Values: map[string]any{}}
	for _, in := range fd.Data {
		if in == nil {
			continue
		}
		fs.Values[in.ComponentId] = in.Input.AsInterface()
		fs.Order = append(fs.Order, in.ComponentId)
	}
	return fs
}

// jsonShape makes a value acceptable to structpb (JSON types only).
func jsonShape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = jsonShape(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = jsonShape(e)
		}
		return l
	case nil, string, bool, float64, int, int64, int32, uint64, uint32, float32:
		return x
	default:
		data, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		var out any
		_ = json.Unmarshal(data, &out)
		return out
	}
}

// overrides compiles the turn's channel overrides. They are few and short,
// and reading them per turn keeps a registry change effective at once.
func (p *Processor) overrides(turn *eventsv1.Turn) map[string]*botdef.Template {
	if p.cfg.Ports.Channels == nil {
		return nil
	}
	texts := p.cfg.Ports.Channels.StandardResponses(turn.BotId, turn.InstanceId)
	if len(texts) == 0 {
		return nil
	}
	out := make(map[string]*botdef.Template, len(texts))
	for key, text := range texts {
		t, err := botdef.ParseTemplate(text)
		if err != nil {
			p.log.Warn("channel override does not parse; the bot's response is used", "bot_id", turn.BotId, "instance_id", turn.InstanceId, "key", key, "err", err)
			continue
		}
		out[key] = t
	}
	return out
}
