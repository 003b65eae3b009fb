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
	"google.golang.org/protobuf/types/known/timestamppb"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
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

// Bots resolves bot definitions.
type Bots interface {
	Bot(id string) (*botdef.Bot, bool)
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
		next, reply, err := p.apply(bot, rec, d)
		if err != nil {
			return err
		}
		err = p.store.Save(ctx, key, rec, next, bot.Session.IdleTimeout+p.cfg.SessionGrace)
		switch {
		case err == nil:
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

// apply computes the next session and the reply; it has no side effects.
func (p *Processor) apply(bot *botdef.Bot, rec session.Record, d Delivery) (*dialogv1.Session, *eventsv1.Reply, error) {
	turn, now := d.Turn, p.now()
	next := &dialogv1.Session{}
	if rec.Session != nil {
		next = proto.Clone(rec.Session).(*dialogv1.Session)
	}
	ctxMap := map[string]any{}
	if len(next.ContextJson) > 0 {
		if err := json.Unmarshal(next.ContextJson, &ctxMap); err != nil {
			return nil, nil, fmt.Errorf("decode context of %s: %w", turn.ConversationKey, err)
		}
	}
	idle := next.LastActivity != nil && now.Sub(next.LastActivity.AsTime()) > bot.Session.IdleTimeout
	if rec.Session == nil || turn.SessionNew || idle {
		ctxMap = newContext(ctxMap)
		next.SessionId = uuid.NewString()
		next.StartedAt = timestamppb.New(now)
	}
	next.ConversationKey, next.BotId, next.UserId = turn.ConversationKey, turn.BotId, turn.UserId
	next.LastActivity = timestamppb.New(now)
	next.LastTurnSequence = d.Sequence
	recordTurn(ctxMap, turn, now)

	out := engine.Handle(engine.Input{Bot: bot, Text: turn.Text, Context: ctxMap})
	reply := &eventsv1.Reply{
		TurnId: turn.TurnId, BotId: turn.BotId, InstanceId: turn.InstanceId, UserId: turn.UserId,
		FromId: turn.FromId, ConversationKey: turn.ConversationKey, Mode: turn.Mode,
		EndOfTask: out.EndOfTask, EndReason: out.EndReason,
		CompletedTaskId: out.TaskID, CompletedTaskName: out.TaskName,
		MergeIdentity: turn.MergeIdentity, TurnSequence: d.Sequence, ProducedAt: timestamppb.New(now),
	}
	for _, m := range out.Messages {
		reply.Messages = append(reply.Messages, &eventsv1.BotMessage{
			MessageId: "ms-" + uuid.NewString(),
			Body:      &eventsv1.BotMessage_Text{Text: m},
		})
	}
	appendHistory(ctxMap, turn, reply, now, p.cfg.HistoryLimit)

	data, err := json.Marshal(ctxMap)
	if err != nil {
		return nil, nil, fmt.Errorf("encode context of %s: %w", turn.ConversationKey, err)
	}
	next.ContextJson = data
	next.Recent = append(next.Recent, &dialogv1.AppliedTurn{TurnSequence: d.Sequence, TurnId: turn.TurnId, Reply: reply})
	if n := len(next.Recent) - p.cfg.RecentReplies; n > 0 {
		next.Recent = next.Recent[n:]
	}
	return next, reply, nil
}
