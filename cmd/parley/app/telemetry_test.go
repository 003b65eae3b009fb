package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/platform/polltest"
)

// startTraced runs the process with an in-process span exporter and the
// Prometheus metrics handler.
func startTraced(t *testing.T, cfg Config) (*process, *tracetest.InMemoryExporter, http.Handler) {
	exp := tracetest.NewInMemoryExporter()
	providers, err := otelx.Setup(t.Context(), "parley-test", otelx.WithSpanExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = providers.Shutdown(t.Context()) })
	p := startProcessWith(t, cfg, func(a *App) { a.Tracer, a.Meter = providers.TracerProvider, providers.MeterProvider }, All)
	return p, exp, providers.MetricsHandler()
}

// traceSpans returns the span names of every trace, by trace id.
func traceSpans(exp *tracetest.InMemoryExporter) map[string][]string {
	byTrace := map[string][]string{}
	for _, s := range exp.GetSpans() {
		id := s.SpanContext.TraceID().String()
		byTrace[id] = append(byTrace[id], s.Name)
	}
	return byTrace
}

func hasAll(names []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, n := range names {
			found = found || n == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestOneTracePerTurn: a sync turn and an async turn each make one trace
// holding the webhook request, the publish, the dialog's processing and,
// for async, the dispatcher's processing and its POST to POST_URL.
func TestOneTracePerTurn(t *testing.T) {
	_, busCfg := newServer(t)
	rcv := newPostURL(t, "channel-token", testSigningSecret)
	cfg := asyncConfig(t, testConfig(t, busCfg), rcv.URL, "channel-token", testSigningSecret)
	p, exp, metrics := startTraced(t, cfg)

	texts(t, say(t, p.base()+"/chatbot/hooks/"+botID, "tina", "show my balance"))
	in, out := busCfg.Subject(bus.SubjectTurns), busCfg.Subject(bus.SubjectReplies)
	syncSpans := []string{"POST webhook", "publish " + in, "process " + in}
	polltest.Until(t, "the sync turn's trace", 10*time.Second, func() bool {
		for _, names := range traceSpans(exp) {
			if hasAll(names, syncSpans...) {
				return true
			}
		}
		return false
	})
	exp.Reset()

	say(t, p.base()+"/chatbot/hooks/"+botID+"/hookInstance/async", "tina", "show my balance")
	asyncSpans := []string{"POST webhook", "publish " + in, "process " + in, "publish " + out, "process " + out, "POST"}
	polltest.Until(t, "the async turn's trace", 15*time.Second, func() bool {
		for _, names := range traceSpans(exp) {
			if hasAll(names, asyncSpans...) {
				return true
			}
		}
		return false
	})
	var roots int
	for _, s := range exp.GetSpans() {
		if !s.Parent.IsValid() {
			roots++
		}
	}
	if roots != 1 {
		t.Fatalf("the async turn made %d traces, want one: %v", roots, traceSpans(exp))
	}
	rcv.mu.Lock()
	tp := rcv.traceHdrs[len(rcv.traceHdrs)-1]
	rcv.mu.Unlock()
	if !strings.Contains(tp, exp.GetSpans()[0].SpanContext.TraceID().String()) {
		t.Fatalf("the POST_URL received traceparent %q, not the turn's trace", tp)
	}

	// The metrics endpoint exposes the pipeline's metrics after traffic.
	rec := httptest.NewRecorder()
	metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, name := range []string{
		"parley_turns_received_total", "parley_turns_accepted_total", "parley_sync_latency_seconds_bucket",
		"parley_dialog_processing_seconds_bucket", "parley_delivery_outcomes_total", "parley_delivery_latency_seconds_bucket",
		"http_server_request_duration_seconds_bucket",
		// The session store under the dialog's cache, the consumer groups
		// of both services, and the breaker of the async channel.
		"parley_session_store_seconds_bucket{", "parley_partitions_owned{", "parley_partitions{",
		"parley_jetstream_consumer_pending{", "parley_jetstream_consumer_ack_pending{", "parley_circuit_breaker_state{",
	} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
