package otelx

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attributes of NATS messages that the messaging semantic conventions do not
// define (they define system-specific ones only for Kafka, RabbitMQ, ...).
const (
	// AttrStreamName is the JetStream stream holding the message.
	AttrStreamName = attribute.Key("messaging.nats.stream.name")
	// AttrStreamSequence is the message's stream sequence: with the stream
	// name it identifies the message (and it fences session writes).
	AttrStreamSequence = attribute.Key("messaging.nats.stream.sequence")
	// AttrDeliveryCount is JetStream's NumDelivered: 1 on the first delivery.
	AttrDeliveryCount = attribute.Key("messaging.nats.message.delivery_count")
)

// MessagingSystem is the messaging.system value of NATS spans.
const MessagingSystem = "nats"

// natsCarrier adapts NATS headers to OpenTelemetry's TextMapCarrier without
// canonicalising keys, so traceparent stays lower-case and readable by
// consumers in other languages.
type natsCarrier nats.Header

var _ propagation.TextMapCarrier = natsCarrier(nil)

// Get returns the first value of key.
func (c natsCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (c natsCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the header names.
func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// InjectNATS writes the trace context and baggage of ctx into h as
// lower-case traceparent, tracestate and baggage headers. h must not be nil
// (use a message's Header after setting it, or StartPublish, which does).
// Producers do not call it themselves: bus.Conn.Publish and Send do.
func InjectNATS(ctx context.Context, h nats.Header) {
	Propagator.Inject(ctx, natsCarrier(h))
}

// ExtractNATS returns ctx with the remote span context and baggage found in
// h; ctx is returned unchanged when h carries none (or is nil).
func ExtractNATS(ctx context.Context, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return Propagator.Extract(ctx, natsCarrier(h))
}

// Message describes a NATS message for the attributes of its spans.
type Message struct {
	// Subject is the full subject (messaging.destination.name).
	Subject string
	// Destination is the low-cardinality name used in the span name and as
	// messaging.destination.template, e.g. the turns subject root
	// ("parley.in");
	// subjects themselves carry conversation keys. Default: Subject.
	Destination string
	// ID is the Nats-Msg-Id, if any.
	ID string
	// BodySize is the payload length in bytes.
	BodySize int
	// Stream, StreamSeq, Consumer and Delivered come from the JetStream
	// metadata of a consumed message; zero values are left out.
	Stream    string
	StreamSeq uint64
	Consumer  string
	Delivered uint64
	// Partition is the bus partition, when known (messaging.destination.partition.id).
	Partition string
}

func (m Message) destination() string {
	if m.Destination != "" {
		return m.Destination
	}
	return m.Subject
}

func (m Message) attributes(op string, typ attribute.KeyValue) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		semconv.MessagingSystemKey.String(MessagingSystem),
		semconv.MessagingOperationName(op),
		typ,
		semconv.MessagingDestinationName(m.Subject),
	}
	if m.Destination != "" {
		attrs = append(attrs, semconv.MessagingDestinationTemplate(m.Destination))
	}
	if m.ID != "" {
		attrs = append(attrs, semconv.MessagingMessageID(m.ID))
	}
	if m.BodySize > 0 {
		attrs = append(attrs, semconv.MessagingMessageBodySize(m.BodySize))
	}
	if m.Partition != "" {
		attrs = append(attrs, semconv.MessagingDestinationPartitionID(m.Partition))
	}
	if m.Stream != "" {
		attrs = append(attrs, AttrStreamName.String(m.Stream))
	}
	if m.StreamSeq > 0 {
		attrs = append(attrs, AttrStreamSequence.Int64(int64(m.StreamSeq)))
	}
	if m.Consumer != "" {
		attrs = append(attrs, semconv.MessagingConsumerGroupName(m.Consumer))
	}
	if m.Delivered > 0 {
		attrs = append(attrs, AttrDeliveryCount.Int64(int64(m.Delivered)))
	}
	return attrs
}

// StartPublish starts a PRODUCER span "publish <destination>" for msg and
// injects its context into msg.Header (creating the header if needed). End
// the span once the publish is acknowledged, with End.
//
// The operation type is "send", the current semantic-conventions name for
// what older versions called "publish"; operation.name stays "publish",
// NATS's own word.
func StartPublish(ctx context.Context, tp trace.TracerProvider, msg *nats.Msg, destination string) (context.Context, trace.Span) {
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	m := Message{Subject: msg.Subject, Destination: destination, ID: msg.Header.Get(jetstream.MsgIDHeader), BodySize: len(msg.Data)}
	ctx, span := tracerProvider(tp).Tracer(ScopeName).Start(ctx, "publish "+m.destination(),
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(m.attributes("publish", semconv.MessagingOperationTypeSend)...))
	InjectNATS(ctx, msg.Header)
	return ctx, span
}

// StartProcess starts a CONSUMER span "process <destination>" whose parent
// is the trace context carried in h, so one trace runs from the webhook
// through every service. Use it for core NATS messages (the sync reply);
// StartJetStreamProcess fills m from a JetStream message.
func StartProcess(ctx context.Context, tp trace.TracerProvider, m Message, h nats.Header) (context.Context, trace.Span) {
	ctx = ExtractNATS(ctx, h)
	return tracerProvider(tp).Tracer(ScopeName).Start(ctx, "process "+m.destination(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(m.attributes("process", semconv.MessagingOperationTypeProcess)...))
}

// StartJetStreamProcess starts the CONSUMER span of a consumed JetStream
// message, with its stream, stream sequence, consumer and delivery count.
func StartJetStreamProcess(ctx context.Context, tp trace.TracerProvider, msg jetstream.Msg, destination string) (context.Context, trace.Span) {
	return StartProcess(ctx, tp, JetStreamMessage(msg, destination), msg.Headers())
}

// JetStreamMessage describes a consumed JetStream message.
func JetStreamMessage(msg jetstream.Msg, destination string) Message {
	m := Message{Subject: msg.Subject(), Destination: destination, BodySize: len(msg.Data())}
	if h := msg.Headers(); h != nil {
		m.ID = h.Get(jetstream.MsgIDHeader)
	}
	if md, err := msg.Metadata(); err == nil {
		m.Stream, m.StreamSeq, m.Consumer, m.Delivered = md.Stream, md.Sequence.Stream, md.Consumer, md.NumDelivered
	}
	return m
}

// End ends span, recording err (when not nil) as the span's error status
// and error.type, as the semantic conventions ask.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
	}
	span.End()
}

// errorType is a low-cardinality description of err: its dynamic type, or
// the type of the first wrapped error that is not a fmt wrapper.
func errorType(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		t := fmt.Sprintf("%T", e)
		if t != "*fmt.wrapError" && t != "*fmt.wrapErrors" && t != "*errors.joinError" {
			return t
		}
	}
	return "_OTHER"
}
