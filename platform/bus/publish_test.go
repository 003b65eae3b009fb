package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/otelx"
)

// TestPublishCarriesHeadersIDAndTrace: a published message is stored once
// per id, with Parley's headers and the lower-case traceparent of its
// PRODUCER span, which is a child of the caller's span.
func TestPublishCarriesHeadersIDAndTrace(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := conn.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	parentCtx, parent := tp.Tracer("test").Start(ctx, "POST webhook")
	defer parent.End()

	key := bus.ConversationKey("st-1", "cs-1/alice")
	m := bus.Message{
		Subject:     conn.Cfg.TurnSubject("st-1", key),
		Destination: conn.Cfg.Subject(bus.SubjectTurns),
		Data:        []byte("turn"),
		ID:          "turn-1",
		Header:      map[string]string{bus.HeaderTurnID: "turn-1"},
	}
	first, err := conn.Publish(parentCtx, tp, m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := conn.Publish(parentCtx, tp, m)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Sequence != first.Sequence {
		t.Fatalf("second publish of turn-1: %+v, want a duplicate of seq %d", again, first.Sequence)
	}

	stream, err := conn.JS.Stream(ctx, conn.Cfg.Name(bus.StreamTurns))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := stream.GetMsg(ctx, first.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	h := stored.Header
	if h.Get(bus.HeaderTurnID) != "turn-1" || h.Get(jetstream.MsgIDHeader) != "turn-1" {
		t.Fatalf("stored headers %v lack the turn id or the message id", h)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "publish "+m.Destination || spans[0].SpanKind != trace.SpanKindProducer {
		t.Fatalf("spans %v, want two PRODUCER spans named after the destination", spans)
	}
	got := trace.SpanContextFromContext(otelx.ExtractNATS(t.Context(), h))
	if got.TraceID() != parent.SpanContext().TraceID() || got.SpanID() != spans[0].SpanContext.SpanID() {
		t.Fatalf("stored trace context %v is not the first publish span's", got)
	}
}

// TestSendCarriesTheCallersTrace: a core NATS message carries the trace
// context of ctx and no span of its own.
func TestSendCarriesTheCallersTrace(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	subject := conn.Cfg.SyncInbox("ingress-1")
	sub, err := conn.NC.SubscribeSync(bus.SyncReplySubject(subject, "*"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(t.Context(), "turn")
	defer span.End()
	if err := conn.Send(ctx, bus.Message{Subject: bus.SyncReplySubject(subject, "turn-1"), Data: []byte("reply")}); err != nil {
		t.Fatal(err)
	}
	var msg *nats.Msg
	if msg, err = sub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if v := msg.Header["traceparent"]; len(v) != 1 {
		t.Fatalf("headers %v lack a lower-case traceparent", msg.Header)
	}
	got := trace.SpanContextFromContext(otelx.ExtractNATS(t.Context(), msg.Header))
	if got.SpanID() != span.SpanContext().SpanID() {
		t.Fatalf("sent trace context %v, want the caller's span", got)
	}
}
