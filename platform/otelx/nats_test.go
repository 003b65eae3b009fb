package otelx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/otelx"
)

func setupTracing(t *testing.T) (*otelx.Providers, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	p, err := otelx.Setup(t.Context(), "otelx-test", otelx.WithSpanExporter(exp))
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.WithoutCancel(t.Context())) })
	if !p.TracingEnabled() {
		t.Fatal("tracing should be on with WithSpanExporter")
	}
	return p, exp
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, name string, n int) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) <= n {
		t.Fatalf("want span %q #%d; spans: %v", name, n, names(spans))
	}
	return found[n]
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestTraceCrossesJetStream publishes a turn through a real embedded
// JetStream and consumes it twice (a nak, then the redelivery): both
// process spans belong to the publisher's trace, the header on the wire is
// the lower-case W3C traceparent, and the JetStream metadata is on the span.
func TestTraceCrossesJetStream(t *testing.T) {
	p, exp := setupTracing(t)
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := conn.EnsureStreams(ctx); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	stream := conn.Cfg.Name(bus.StreamTurns)
	durable := "dialog-p03"
	cons, err := conn.JS.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       durable,
		FilterSubject: conn.Cfg.PartitionFilter(bus.SubjectTurns, 3),
		AckPolicy:     jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	subject := conn.Cfg.Subject(bus.SubjectTurns) + ".3.bot.conv"
	publishTracedTurn(ctx, t, p, conn, subject)
	for attempt := 1; attempt <= 2; attempt++ {
		consumeTracedTurn(ctx, t, p, cons, attempt)
	}

	spans := exp.GetSpans()
	pub := spanNamed(t, spans, "publish parley.in", 0)
	checkPublishSpan(t, pub, spanNamed(t, spans, "POST webhook", 0), subject)
	for i, wantDelivered := range []int64{1, 2} {
		proc := spanNamed(t, spans, "process parley.in", i)
		if proc.SpanContext.TraceID() != pub.SpanContext.TraceID() {
			t.Fatalf("process #%d trace %s != publish trace %s", i, proc.SpanContext.TraceID(), pub.SpanContext.TraceID())
		}
		checkProcessSpan(t, proc, pub, i, wantDelivered, stream, durable)
	}
}

// publishTracedTurn publishes "hello" to subject inside a webhook span that
// carries baggage, and checks the header it wrote is the lower-case one.
func publishTracedTurn(ctx context.Context, t *testing.T, p *otelx.Providers, conn *bus.Conn, subject string) {
	t.Helper()
	member, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(member)
	rootCtx, root := p.TracerProvider.Tracer("test").Start(baggage.ContextWithBaggage(ctx, bag), "POST webhook")
	msg := &nats.Msg{Subject: subject, Data: []byte("hello")}
	msg.Header = nats.Header{jetstream.MsgIDHeader: []string{"turn-1"}}
	pubCtx, pubSpan := otelx.StartPublish(rootCtx, p.TracerProvider, msg, bus.SubjectTurns)
	_, err := conn.JS.PublishMsg(pubCtx, msg)
	otelx.End(pubSpan, err)
	root.End()
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, ok := msg.Header["Traceparent"]; ok {
		t.Fatal("publisher wrote a canonicalised Traceparent header")
	}
}

// consumeTracedTurn fetches the turn, checks its trace headers and baggage,
// and ends the process span: attempt 1 fails and naks, attempt 2 acks.
func consumeTracedTurn(ctx context.Context, t *testing.T, p *otelx.Providers, cons jetstream.Consumer, attempt int) {
	t.Helper()
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var got jetstream.Msg
	for m := range batch.Messages() {
		got = m
	}
	if got == nil {
		t.Fatalf("attempt %d: no message (fetch error %v)", attempt, batch.Error())
	}
	h := got.Headers()
	if v := h["traceparent"]; len(v) != 1 || v[0] == "" {
		t.Fatalf("consumed headers lack a lower-case traceparent: %v", h)
	}
	if _, ok := h["Traceparent"]; ok {
		t.Fatalf("consumed headers hold a canonicalised Traceparent: %v", h)
	}
	pctx, span := otelx.StartJetStreamProcess(ctx, p.TracerProvider, got, bus.SubjectTurns)
	if b := baggage.FromContext(pctx).Member("tenant").Value(); b != "acme" {
		t.Fatalf("baggage tenant = %q, want acme", b)
	}
	if attempt == 1 {
		otelx.End(span, errors.New("session store down"))
		if err := got.Nak(); err != nil {
			t.Fatalf("nak: %v", err)
		}
		return
	}
	otelx.End(span, nil)
	if err := got.DoubleAck(ctx); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

// checkPublishSpan checks the publish span is a producer child of the
// webhook span with the messaging attributes of the turn.
func checkPublishSpan(t *testing.T, pub, rootStub tracetest.SpanStub, subject string) {
	t.Helper()
	if pub.SpanKind != trace.SpanKindProducer {
		t.Errorf("publish span kind = %v", pub.SpanKind)
	}
	if pub.Parent.SpanID() != rootStub.SpanContext.SpanID() {
		t.Error("publish span is not a child of the webhook span")
	}
	pa := attrs(pub)
	for k, want := range map[attribute.Key]string{
		"messaging.system":               "nats",
		"messaging.operation.name":       "publish",
		"messaging.operation.type":       "send",
		"messaging.destination.name":     subject,
		"messaging.destination.template": "parley.in",
		"messaging.message.id":           "turn-1",
	} {
		if got := pa[k].AsString(); got != want {
			t.Errorf("publish %s = %q, want %q", k, got, want)
		}
	}
	if got := pa["messaging.message.body.size"].AsInt64(); got != 5 {
		t.Errorf("publish body size = %d, want 5", got)
	}
}

// checkProcessSpan checks process span #i: a consumer span under the remote
// publish span, with the JetStream metadata of delivery wantDelivered, and
// an error status on the first (failed) attempt only.
func checkProcessSpan(t *testing.T, proc, pub tracetest.SpanStub, i int, wantDelivered int64, stream, durable string) {
	t.Helper()
	if proc.Parent.SpanID() != pub.SpanContext.SpanID() || !proc.Parent.IsRemote() {
		t.Errorf("process #%d parent = %v, want the remote publish span", i, proc.Parent.SpanID())
	}
	if proc.SpanKind != trace.SpanKindConsumer {
		t.Errorf("process span kind = %v", proc.SpanKind)
	}
	a := attrs(proc)
	if a["messaging.operation.type"].AsString() != "process" || a["messaging.system"].AsString() != "nats" {
		t.Errorf("process attributes: %v", a)
	}
	if a["messaging.consumer.group.name"].AsString() != durable {
		t.Errorf("consumer = %q, want %s", a["messaging.consumer.group.name"].AsString(), durable)
	}
	if a[otelx.AttrStreamName].AsString() != stream || a[otelx.AttrStreamSequence].AsInt64() != 1 {
		t.Errorf("stream attrs = %v/%v, want %s/1", a[otelx.AttrStreamName], a[otelx.AttrStreamSequence], stream)
	}
	if got := a[otelx.AttrDeliveryCount].AsInt64(); got != wantDelivered {
		t.Errorf("process #%d delivery count = %d, want %d", i, got, wantDelivered)
	}
	if i == 0 {
		if proc.Status.Code != codes.Error || a["error.type"].AsString() != "*errors.errorString" {
			t.Errorf("failed process span: status %v error.type %q", proc.Status, a["error.type"].AsString())
		}
	} else if proc.Status.Code == codes.Error {
		t.Errorf("successful process span has error status")
	}
}

func TestExtractNATS_withoutContext(t *testing.T) {
	ctx := otelx.ExtractNATS(t.Context(), nil)
	if trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("nil header produced a span context")
	}
	ctx = otelx.ExtractNATS(t.Context(), nats.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})
	if trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("a canonicalised Traceparent header was read; NATS headers are case-sensitive and W3C names are lower-case")
	}
	ctx = otelx.ExtractNATS(t.Context(), nats.Header{"traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})
	if got := trace.SpanContextFromContext(ctx).TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Fatalf("trace id = %s", got)
	}
}

func TestInjectNATS_roundTrip(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(t.Context(), "x")
	defer span.End()
	h := nats.Header{}
	otelx.InjectNATS(ctx, h)
	if len(h["traceparent"]) != 1 {
		t.Fatalf("headers = %v", h)
	}
	got := trace.SpanContextFromContext(otelx.ExtractNATS(t.Context(), h))
	if got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() {
		t.Fatalf("round trip lost the span context: %v", got)
	}
}
