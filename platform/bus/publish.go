package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/otelx"
)

// Message is a message a Parley service puts on the bus. Publish, Send and
// NewMsg are the only code that turns one into a nats.Msg, so that every
// message carries its headers, its de-duplication id and the producer's
// trace context in the same way.
type Message struct {
	// Subject is the full subject, deployment prefix included.
	Subject string
	// Destination is the low-cardinality name of the PRODUCER span, e.g.
	// Config.Subject(SubjectTurns); subjects carry conversation keys.
	// Default: Subject.
	Destination string
	Data        []byte
	// ID becomes the Nats-Msg-Id: JetStream stores one message per id
	// within the stream's duplicate window, so a producer that publishes
	// again after a crash or a lost ack does not store it twice. Empty: no
	// de-duplication.
	ID string
	// Header holds Parley's headers (HeaderTurnID, ...), one value each.
	Header map[string]string
}

// msg builds the nats.Msg of m without trace context.
func (m Message) msg() *nats.Msg {
	msg := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: make(nats.Header, len(m.Header)+4)}
	for k, v := range m.Header {
		msg.Header.Set(k, v)
	}
	if m.ID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, m.ID)
	}
	return msg
}

// NewMsg builds the nats.Msg of m carrying the trace context of ctx, for a
// producer that hands it to NATS itself (PublishMsgAsync in a benchmark).
func NewMsg(ctx context.Context, m Message) *nats.Msg {
	msg := m.msg()
	otelx.InjectNATS(ctx, msg.Header)
	return msg
}

// Publish stores m in the stream that holds its subject and returns the
// stream's acknowledgement. With a tracer, the publish gets a PRODUCER span
// whose context the message carries; with nil, the message carries the
// trace context of ctx as it is. Errors are NATS's own: the caller knows
// what was being published.
func (c *Conn) Publish(ctx context.Context, tp trace.TracerProvider, m Message) (*jetstream.PubAck, error) {
	if st := c.NC.Status(); st != nats.CONNECTED {
		// Refuse at once rather than wait out the publish timeout: the
		// caller (the ingress) answers 503 and the client retries.
		return nil, fmt.Errorf("%w (nats connection is %s)", nats.ErrConnectionReconnecting, st)
	}
	msg := m.msg()
	ctx, span := otelx.StartPublish(ctx, tp, msg, m.Destination)
	ack, err := c.JS.PublishMsg(ctx, msg)
	otelx.End(span, err)
	return ack, err
}

// Send publishes m on core NATS, outside every stream, carrying the trace
// context of ctx: a synchronous reply, which only its waiting ingress wants
// and which is worthless after its deadline.
func (c *Conn) Send(ctx context.Context, m Message) error {
	return c.NC.PublishMsg(NewMsg(ctx, m))
}
