// Package natsio is the dialog service's NATS adapter: it turns JetStream
// messages into deliveries for the processor and sends replies.
package natsio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/consume"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
	"github.com/parleyhq/parley/services/dialog/internal/processor"
)

// Emitter sends replies on the bus, carrying the turn's trace context.
type Emitter struct {
	Conn   *bus.Conn
	Tracer trace.TracerProvider
}

// Sync publishes the reply to the waiting ingress.
func (e Emitter) Sync(ctx context.Context, replyTo string, r *eventsv1.Reply) error {
	data, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	return e.Conn.Send(ctx, bus.Message{Subject: replyTo, Data: data})
}

// Async stores the reply in the replies stream; the turn id de-duplicates
// re-emissions within the stream's window.
func (e Emitter) Async(ctx context.Context, r *eventsv1.Reply) error {
	data, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	_, err = e.Conn.Publish(ctx, e.Tracer, bus.Message{
		Subject:     e.Conn.Cfg.ReplySubject(r.BotId, r.ConversationKey),
		Destination: e.Conn.Cfg.Subject(bus.SubjectReplies),
		Data:        data,
		ID:          "reply-" + r.TurnId,
		Header:      map[string]string{bus.HeaderTurnID: r.TurnId},
	})
	return err
}

// Handler adapts the processor to the turn consumer, recording each
// delivery's processing time by outcome. Its caller wraps it in
// consume.Traced, so ctx carries the delivery's CONSUMER span.
func Handler(p *processor.Processor, tel *Telemetry) consume.Handler {
	return func(ctx context.Context, m jetstream.Msg) (err error) {
		start := time.Now()
		defer func() {
			outcome := "ok"
			switch consume.Decide(err) {
			case consume.Term:
				outcome = "dead_letter"
			case consume.Retry:
				outcome = "retry"
			}
			tel.processing.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
		}()
		if md, mdErr := m.Metadata(); mdErr == nil && md.NumDelivered > 1 {
			tel.redeliveries.Add(ctx, 1, metric.WithAttributes(attribute.String("stream", md.Stream), attribute.String("consumer", md.Consumer)))
		}
		d, err := Decode(m)
		if err != nil {
			return consume.Permanent(err)
		}
		err = p.Process(ctx, d)
		if errors.Is(err, processor.ErrUnknownBot) {
			return consume.Permanent(err)
		}
		return err
	}
}

// Decode reads a delivery from a turn message.
func Decode(m jetstream.Msg) (processor.Delivery, error) {
	meta, err := m.Metadata()
	if err != nil {
		return processor.Delivery{}, fmt.Errorf("turn metadata: %w", err)
	}
	var turn eventsv1.Turn
	if err := proto.Unmarshal(m.Data(), &turn); err != nil {
		return processor.Delivery{}, fmt.Errorf("decode turn at seq %d: %w", meta.Sequence.Stream, err)
	}
	if turn.ConversationKey == "" || turn.BotId == "" {
		return processor.Delivery{}, fmt.Errorf("turn at seq %d has no bot or conversation", meta.Sequence.Stream)
	}
	d := processor.Delivery{Turn: &turn, Sequence: meta.Sequence.Stream}
	if h := m.Headers(); h != nil {
		d.ReplyTo = h.Get(bus.HeaderReplyTo)
		if ms, err := strconv.ParseInt(h.Get(bus.HeaderReplyDeadline), 10, 64); err == nil {
			d.Deadline = time.UnixMilli(ms)
		}
	}
	return d, nil
}

// Handoffs publishes agent handoffs for integrations on the events stream;
// the handoff's turn id de-duplicates re-publications.
type Handoffs struct{ Conn *bus.Conn }

// Handoff publishes the request of a committed turn.
func (h Handoffs) Handoff(ctx context.Context, turn *eventsv1.Turn, req *engine.Handoff) error {
	ev := &eventsv1.AgentHandoff{
		TurnId: turn.TurnId, BotId: turn.BotId, InstanceId: turn.InstanceId, UserId: turn.UserId,
		FromId: turn.FromId, ConversationKey: turn.ConversationKey,
		TaskId: req.TaskID, TaskName: req.TaskName, NodeId: req.NodeID, Queue: req.Queue,
		RequestedAt: timestamppb.Now(),
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode handoff: %w", err)
	}
	msg := bus.Message{Subject: h.Conn.Cfg.HandoffSubject(turn.BotId, turn.ConversationKey), Data: data, ID: "handoff-" + turn.TurnId}
	// No span of its own: the handoff joins the turn's trace through ctx.
	if _, err := h.Conn.Publish(ctx, nil, msg); err != nil {
		return fmt.Errorf("publish handoff of %s: %w", turn.TurnId, err)
	}
	return nil
}
