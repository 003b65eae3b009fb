// Package natsio is the dialog service's NATS adapter: it turns JetStream
// messages into deliveries for the processor and sends replies.
package natsio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/partition"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dialog/internal/processor"
)

// Emitter sends replies on the bus.
type Emitter struct{ Conn *bus.Conn }

// Sync publishes the reply to the waiting ingress.
func (e Emitter) Sync(_ context.Context, replyTo string, r *eventsv1.Reply) error {
	data, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	return e.Conn.NC.Publish(replyTo, data)
}

// Async stores the reply in the replies stream; the turn id de-duplicates
// re-emissions within the stream's window.
func (e Emitter) Async(ctx context.Context, r *eventsv1.Reply) error {
	data, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	msg := &nats.Msg{Subject: e.Conn.Cfg.ReplySubject(r.BotId, r.ConversationKey), Data: data, Header: nats.Header{}}
	msg.Header.Set(bus.HeaderTurnID, r.TurnId)
	_, err = e.Conn.JS.PublishMsg(ctx, msg, jetstream.WithMsgID("reply-"+r.TurnId))
	return err
}

// Handler adapts the processor to the partition consumer.
func Handler(p *processor.Processor) partition.Handler {
	return func(ctx context.Context, m jetstream.Msg) error {
		d, err := Decode(m)
		if err != nil {
			return partition.Permanent(err)
		}
		err = p.Process(ctx, d)
		if errors.Is(err, processor.ErrUnknownBot) {
			return partition.Permanent(err)
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
