// Package natsio is the ingress's NATS adapter: it publishes accepted turns
// to JetStream and collects synchronous replies on a subject of its own.
package natsio

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bus"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// Bus publishes turns and waits for synchronous replies.
type Bus struct {
	conn    *bus.Conn
	tracer  trace.TracerProvider
	log     *slog.Logger
	inbox   string // bus.Config.SyncInbox
	sub     *nats.Subscription
	mu      sync.Mutex
	waiters map[string]chan *eventsv1.Reply
	late    atomic.Int64
}

// Open subscribes to this ingress instance's reply subject.
func Open(conn *bus.Conn, ingressID string, tp trace.TracerProvider, log *slog.Logger) (*Bus, error) {
	b := &Bus{
		conn:    conn,
		tracer:  tp,
		log:     log,
		inbox:   conn.Cfg.SyncInbox(ingressID),
		waiters: map[string]chan *eventsv1.Reply{},
	}
	sub, err := conn.NC.Subscribe(bus.SyncReplySubject(b.inbox, "*"), b.onReply)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", b.inbox, err)
	}
	// Replies for a whole ingress replica arrive on one subscription; the
	// default pending limits would drop them under load.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, fmt.Errorf("pending limits: %w", err)
	}
	b.sub = sub
	return b, nil
}

// Close unsubscribes.
func (b *Bus) Close() error { return b.sub.Unsubscribe() }

// LateReplies counts replies that arrived after their request gave up.
func (b *Bus) LateReplies() int64 { return b.late.Load() }

func (b *Bus) onReply(m *nats.Msg) {
	var r eventsv1.Reply
	if err := proto.Unmarshal(m.Data, &r); err != nil {
		b.log.Error("undecodable sync reply", "subject", m.Subject, "err", err)
		return
	}
	b.mu.Lock()
	ch := b.waiters[r.TurnId]
	delete(b.waiters, r.TurnId)
	b.mu.Unlock()
	if ch == nil {
		b.late.Add(1)
		b.log.Warn("late sync reply: the caller already had a timeout", "turn_id", r.TurnId, "bot_id", r.BotId)
		return
	}
	ch <- &r
}

// Pending is a reply being waited for.
type Pending struct {
	b  *Bus
	id string
	ch chan *eventsv1.Reply
}

// Wait returns the reply, or an error when ctx ends first.
func (p *Pending) Wait(ctx context.Context) (*eventsv1.Reply, error) {
	select {
	case r := <-p.ch:
		return r, nil
	case <-ctx.Done():
		p.Cancel()
		return nil, ctx.Err()
	}
}

// Cancel stops waiting; a reply arriving later is counted as late.
func (p *Pending) Cancel() {
	p.b.mu.Lock()
	delete(p.b.waiters, p.id)
	p.b.mu.Unlock()
}

// Publish stores the turn durably in JetStream. For a synchronous turn it
// first registers a waiter, so that a fast reply cannot be missed, and
// returns it; the caller must Wait or Cancel.
func (b *Bus) Publish(ctx context.Context, turn *eventsv1.Turn, deadline time.Time) (*Pending, error) {
	data, err := proto.Marshal(turn)
	if err != nil {
		return nil, fmt.Errorf("encode turn: %w", err)
	}
	msg := bus.Message{
		Subject:     b.conn.Cfg.TurnSubject(turn.BotId, turn.ConversationKey),
		Destination: b.conn.Cfg.Subject(bus.SubjectTurns),
		Data:        data,
		ID:          turn.TurnId,
		Header:      map[string]string{bus.HeaderTurnID: turn.TurnId},
	}
	var pending *Pending
	if turn.Mode == eventsv1.Mode_MODE_SYNC {
		pending = &Pending{b: b, id: turn.TurnId, ch: make(chan *eventsv1.Reply, 1)}
		b.mu.Lock()
		b.waiters[turn.TurnId] = pending.ch
		b.mu.Unlock()
		msg.Header[bus.HeaderReplyTo] = bus.SyncReplySubject(b.inbox, turn.TurnId)
		msg.Header[bus.HeaderReplyDeadline] = strconv.FormatInt(deadline.UnixMilli(), 10)
	}
	_, err = b.conn.Publish(ctx, b.tracer, msg)
	if err != nil {
		if pending != nil {
			pending.Cancel()
		}
		return nil, fmt.Errorf("publish turn %s: %w", turn.TurnId, err)
	}
	return pending, nil
}
