package otelx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

var otelEnv = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER",
}

// clearOTelEnv makes the test independent of the developer's environment.
func clearOTelEnv(t *testing.T) {
	for _, k := range otelEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestTracesFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		on       bool
		protocol string
		err      bool
	}{
		{name: "nothing set: off", env: nil},
		{name: "endpoint: on over http", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, on: true, protocol: "http/protobuf"},
		{name: "traces endpoint: on", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, on: true, protocol: "http/protobuf"},
		{name: "grpc protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, on: true, protocol: "grpc"},
		{name: "traces protocol wins", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, on: true, protocol: "grpc"},
		{name: "exporter otlp without endpoint: on", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, on: true, protocol: "http/protobuf"},
		{name: "exporter none beats endpoint", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}},
		{name: "unsupported exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: true},
		{name: "unsupported protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			protocol, on, err := tracesFromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if on != tc.on || (on && protocol != tc.protocol) {
				t.Fatalf("got on=%v protocol=%q, want on=%v protocol=%q", on, protocol, tc.on, tc.protocol)
			}
		})
	}
}

func TestSetup_tracingFollowsEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		protocol string
		metrics  bool
	}{
		{name: "default off", metrics: true},
		{name: "http exporter", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, protocol: "http/protobuf", metrics: true},
		{name: "grpc exporter", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, protocol: "grpc", metrics: true},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			// Nothing listens at the endpoint: sample nothing so that
			// Shutdown has no span to flush.
			t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			p, err := Setup(t.Context(), "parley-test")
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if p.TracingProtocol() != tc.protocol || p.TracingEnabled() != (tc.protocol != "") {
				t.Fatalf("tracing = %q, want %q", p.TracingProtocol(), tc.protocol)
			}
			_, span := p.TracerProvider.Tracer("t").Start(t.Context(), "x")
			if span.SpanContext().IsValid() != p.TracingEnabled() {
				t.Fatalf("span validity %v with tracing %v", span.SpanContext().IsValid(), p.TracingEnabled())
			}
			span.End()
			c, _ := NewCounter(p.MeterProvider.Meter("t"), MetricTurnsReceived)
			c.Add(t.Context(), 1)
			body := scrape(t, p)
			if strings.Contains(body, "parley_turns_received_total") != tc.metrics {
				t.Fatalf("metrics exposed = %v, want %v:\n%s", !tc.metrics, tc.metrics, body)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := p.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
		})
	}
}

func TestSetup_serviceNameFromEnvironmentWins(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "parley-dialog")
	exp := tracetest.NewInMemoryExporter()
	p, err := Setup(t.Context(), "parley", WithSpanExporter(exp), WithResourceAttributes(attribute.String("service.version", "1.2.3")))
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("t").Start(t.Context(), "x")
	span.End()
	spans := exp.GetSpans()
	_ = p.Shutdown(t.Context())
	if len(spans) != 1 {
		t.Fatalf("spans = %d", len(spans))
	}
	res := map[attribute.Key]string{}
	for _, kv := range spans[0].Resource.Attributes() {
		res[kv.Key] = kv.Value.String()
	}
	if res["service.name"] != "parley-dialog" || res["service.version"] != "1.2.3" {
		t.Fatalf("resource = %v", res)
	}
}

func TestSetup_invalidEnvironment(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_SDK_DISABLED", "maybe")
	if _, err := Setup(t.Context(), "x"); err == nil {
		t.Fatal("OTEL_SDK_DISABLED=maybe accepted")
	}
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "jaeger")
	if _, err := Setup(t.Context(), "x"); err == nil {
		t.Fatal("OTEL_TRACES_EXPORTER=jaeger accepted")
	}
}

func scrape(t *testing.T, p *Providers) string {
	t.Helper()
	rec := httptest.NewRecorder()
	p.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics status %d", rec.Code)
	}
	return rec.Body.String()
}

// TestCatalog_prometheusNames builds every catalogue instrument (the HTTP
// ones through HTTPHandler and HTTPTransport), records one measurement with
// its labels, and checks the Prometheus exporter exposes exactly the
// catalogue's name and labels, with the seconds buckets on histograms. The
// dashboards and alert rules rely on these names.
func TestCatalog_prometheusNames(t *testing.T) {
	clearOTelEnv(t)
	p, err := Setup(t.Context(), "parley-test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown(context.WithoutCancel(t.Context())) }()
	m := p.MeterProvider.Meter("github.com/parleyhq/parley/test")
	seenNames := map[string]bool{}
	for _, d := range Catalog {
		if seenNames[d.Name] || seenNames[d.Prom] {
			t.Fatalf("duplicate catalogue entry %s", d.Name)
		}
		seenNames[d.Name], seenNames[d.Prom] = true, true
		if !strings.HasPrefix(d.Name, "http.") {
			recordOnce(t, m, d)
		}
	}
	if _, err := NewCounter(m, MetricSyncLatency); err == nil {
		t.Fatal("NewCounter accepted a histogram")
	}
	if _, err := NewGauge(m, "parley.unknown"); err == nil {
		t.Fatal("NewGauge accepted a name outside the catalogue")
	}
	serveOneHTTPRequest(t, p)

	families, err := p.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	for _, d := range Catalog {
		f := byName[d.Prom]
		if f == nil {
			t.Errorf("%s (%s): no family %s; exposed: %v", d.Name, d.Unit, d.Prom, parleyFamilies(byName))
			continue
		}
		checkFamily(t, d, f)
	}
	body := scrape(t, p)
	for _, want := range []string{"parley_turns_received_total{", "go_goroutines", "process_", "target_info"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// recordOnce builds the instrument d with the catalogue's constructor and
// records one measurement with every label of d set.
func recordOnce(t *testing.T, m metric.Meter, d MetricDef) {
	t.Helper()
	ctx := t.Context()
	var kvs []attribute.KeyValue
	for _, l := range d.Labels {
		kvs = append(kvs, attribute.String(l, "x"))
	}
	opt := metric.WithAttributes(kvs...)
	switch d.Kind {
	case Counter:
		c, err := NewCounter(m, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(ctx, 1, opt)
	case Histogram:
		h, err := NewHistogram(m, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		h.Record(ctx, 0.2, opt)
	case Gauge:
		g, err := NewGauge(m, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		g.Record(ctx, 3, opt)
	default:
		t.Fatalf("%s: unknown kind %q", d.Name, d.Kind)
	}
}

// serveOneHTTPRequest records the HTTP instruments: one request through
// HTTPTransport to a server behind HTTPHandler.
func serveOneHTTPRequest(t *testing.T, p *Providers) {
	t.Helper()
	srv := httptest.NewServer(HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), "webhook", p.TracerProvider, p.MeterProvider))
	defer srv.Close()
	client := &http.Client{Transport: HTTPTransport(nil, p.TracerProvider, p.MeterProvider)}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// parleyFamilies lists the exposed Parley and HTTP family names, sorted.
func parleyFamilies(byName map[string]*dto.MetricFamily) []string {
	var got []string
	for n := range byName {
		if strings.HasPrefix(n, "parley") || strings.HasPrefix(n, "http") {
			got = append(got, n)
		}
	}
	slices.Sort(got)
	return got
}

// checkFamily checks the exposed family f has d's type and labels, and the
// seconds buckets when d is a histogram.
func checkFamily(t *testing.T, d MetricDef, f *dto.MetricFamily) {
	t.Helper()
	wantType := map[Kind]dto.MetricType{Counter: dto.MetricType_COUNTER, Histogram: dto.MetricType_HISTOGRAM, Gauge: dto.MetricType_GAUGE}[d.Kind]
	if f.GetType() != wantType {
		t.Errorf("%s: type %v, want %v", d.Prom, f.GetType(), wantType)
	}
	labels := map[string]bool{}
	for _, lp := range f.GetMetric()[0].GetLabel() {
		labels[lp.GetName()] = true
	}
	for _, l := range d.Labels {
		if !labels[l] {
			t.Errorf("%s: label %s missing (have %v)", d.Prom, l, labels)
		}
	}
	if d.Kind == Histogram {
		var bounds []float64
		for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if !slices.Equal(bounds, SecondsBuckets) {
			t.Errorf("%s: buckets %v, want %v", d.Prom, bounds, SecondsBuckets)
		}
	}
}

// TestCatalog_matchesMETRICSmd keeps deploy/METRICS.md (read by the
// dashboards' and rules' tests in the deploy module) in step with the code.
func TestCatalog_matchesMETRICSmd(t *testing.T) {
	doc, err := os.ReadFile("../../deploy/METRICS.md")
	if os.IsNotExist(err) {
		t.Skip("deploy/METRICS.md is not in this checkout")
	}
	if err != nil {
		t.Fatal(err)
	}
	// Catalogue rows look like: | `parley_turns_received_total` | counter | `parley.turns.received` ({turn}) | `mode` | ...
	row := regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)` \\| (counter|histogram|gauge) \\| `([a-z._]+)`")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = [2]string{m[2], m[3]}
	}
	for _, d := range Catalog {
		got, ok := documented[d.Prom]
		if !ok {
			t.Errorf("%s is not documented in deploy/METRICS.md", d.Prom)
			continue
		}
		if got[0] != string(d.Kind) || got[1] != d.Name {
			t.Errorf("deploy/METRICS.md documents %s as %s %s, code says %s %s", d.Prom, got[0], got[1], d.Kind, d.Name)
		}
		delete(documented, d.Prom)
	}
	for name := range documented {
		t.Errorf("deploy/METRICS.md documents %s, which is not in the catalogue", name)
	}
}

func TestHTTP_traceCrossesClientAndServer(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	p, err := Setup(t.Context(), "t", WithSpanExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	var gotHeader string
	var serverCtx trace.SpanContext
	srv := httptest.NewServer(HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Get("traceparent")
		serverCtx = trace.SpanContextFromContext(r.Context())
	}), "webhook", p.TracerProvider, p.MeterProvider))
	defer srv.Close()
	client := &http.Client{Transport: HTTPTransport(nil, p.TracerProvider, p.MeterProvider)}
	ctx, parent := p.TracerProvider.Tracer("t").Start(t.Context(), "deliver")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	parent.End()
	if gotHeader == "" {
		t.Fatal("the client did not send traceparent")
	}
	if serverCtx.TraceID() != parent.SpanContext().TraceID() {
		t.Fatalf("server trace %s, client trace %s", serverCtx.TraceID(), parent.SpanContext().TraceID())
	}
	kinds := map[string]trace.SpanKind{}
	for _, s := range waitSpans(t, exp, 3) {
		kinds[s.Name] = s.SpanKind
	}
	if kinds["POST webhook"] != trace.SpanKindServer || kinds["POST"] != trace.SpanKindClient {
		t.Fatalf("spans = %v", kinds)
	}
}

// waitSpans waits for n spans: a server span ends after its handler
// returns, which can be after the client has read the response.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, n int) tracetest.SpanStubs {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		if spans := exp.GetSpans(); len(spans) >= n {
			return spans
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("want %d spans, have %d", n, len(exp.GetSpans()))
		}
	}
}
