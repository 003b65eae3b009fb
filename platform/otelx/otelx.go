// Package otelx sets up OpenTelemetry for a Parley process and carries trace
// context across NATS and HTTP.
//
// # Providers
//
// Setup builds one Providers per process. Nothing is installed globally: the
// composition root passes Providers.TracerProvider and Providers.MeterProvider
// to each service through its Deps, and serves Providers.MetricsHandler on the
// ops port. Tests build their own Providers (or pass nil providers, which the
// helpers of this package treat as no-op ones).
//
// Tracing is configured by the standard OTEL_* environment variables and is
// off (a no-op provider, no exporter, no goroutines) unless one of them asks
// for it:
//
//   - OTEL_SDK_DISABLED=true turns everything off, whatever else is set;
//   - OTEL_TRACES_EXPORTER=none turns tracing off; =otlp turns it on;
//   - otherwise tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. (The specification makes otlp
//     the default exporter; Parley does not, so that a laptop run without a
//     collector does not log export errors every few seconds.)
//
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, picks
// the transport: grpc or http/protobuf (the default, as in the
// specification). The exporters read the endpoint, headers, timeout,
// compression and TLS variables themselves, and the SDK reads
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_* and OTEL_RESOURCE_ATTRIBUTES.
// OTEL_SERVICE_NAME overrides the service name given to Setup.
//
// Metrics are always on and always pulled: the MeterProvider feeds a
// Prometheus exporter registered on a registry private to the Providers (with
// the Go runtime and process collectors), exposed by MetricsHandler. Instrument
// names and the Prometheus names they become are listed in catalog.go and
// deploy/METRICS.md.
//
// # Propagation
//
// Trace context travels as W3C tracecontext and baggage. On NATS, the
// headers keep their lower-case W3C names (traceparent, tracestate, baggage):
// nats.Header is case-sensitive and other-language consumers look the
// lower-case names up, so the canonicalising propagation.HeaderCarrier must
// not be used. See InjectNATS, ExtractNATS, StartPublish and StartProcess;
// producers reach them through bus.Conn.Publish and Send, consumers through
// consume.Traced.
package otelx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the spans this package starts.
const ScopeName = "github.com/parleyhq/parley/platform/otelx"

// SecondsBuckets are the histogram boundaries of every instrument measured
// in seconds. The SDK's default boundaries are meant for milliseconds and
// would put every Parley latency in the first two buckets; these cover 5 ms
// (a Redis load) to 60 s (a dispatcher attempt plus queueing), with the
// Kore sync budget (15 s) as a boundary so that timeouts are visible.
var SecondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60}

// Propagator is the W3C tracecontext + baggage propagator every Parley
// process uses, on HTTP and NATS alike.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(
	propagation.TraceContext{}, propagation.Baggage{},
)

// Providers are the telemetry providers of one process.
type Providers struct {
	// TracerProvider is a no-op provider unless tracing is configured.
	TracerProvider trace.TracerProvider
	// MeterProvider exports to Registry.
	MeterProvider metric.MeterProvider
	// Propagator is the package's W3C Propagator.
	Propagator propagation.TextMapPropagator
	// Registry is private to these providers; register extra collectors
	// here, never on prometheus.DefaultRegisterer.
	Registry *prometheus.Registry

	tracing  string // "", "grpc", "http/protobuf" or "exporter"
	shutdown []func(context.Context) error
}

// Option changes Setup.
type Option func(*options)

type options struct {
	exporter sdktrace.SpanExporter
	attrs    []attribute.KeyValue
}

// WithSpanExporter turns tracing on with exp behind a synchronous span
// processor, whatever the environment says (except OTEL_SDK_DISABLED). It
// is meant for tests (tracetest.NewInMemoryExporter) and debugging.
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(o *options) { o.exporter = exp }
}

// WithResourceAttributes adds attributes to the resource, such as
// service.version or service.instance.id. OTEL_RESOURCE_ATTRIBUTES wins over
// them.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return func(o *options) { o.attrs = append(o.attrs, attrs...) }
}

// Setup builds the providers of a process named serviceName (the
// service.name resource attribute, e.g. "parley" or "parley-dialog"). It
// opens no connection: the OTLP exporters dial lazily. Call Shutdown before
// exit to flush spans.
func Setup(ctx context.Context, serviceName string, opts ...Option) (*Providers, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	p := &Providers{Propagator: Propagator, Registry: prometheus.NewRegistry()}
	disabled, err := envBool("OTEL_SDK_DISABLED")
	if err != nil {
		return nil, err
	}
	if disabled {
		p.TracerProvider = tracenoop.NewTracerProvider()
		p.MeterProvider = metricnoop.NewMeterProvider()
		return p, nil
	}

	res, err := newResource(ctx, serviceName, o.attrs)
	if err != nil {
		return nil, err
	}
	if err := p.setupMetrics(res); err != nil {
		return nil, err
	}
	if err := p.setupTracing(ctx, res, o.exporter); err != nil {
		_ = p.Shutdown(ctx)
		return nil, err
	}
	return p, nil
}

func newResource(ctx context.Context, serviceName string, attrs []attribute.KeyValue) (*resource.Resource, error) {
	base := resource.NewWithAttributes(semconv.SchemaURL,
		append([]attribute.KeyValue{semconv.ServiceName(serviceName)}, attrs...)...)
	// Later resources win in Merge, so the environment overrides the code.
	env, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("otel resource: %w", err)
	}
	res, err := resource.Merge(base, env)
	if err != nil {
		// Conflicting schema URLs are not worth refusing to start over: keep
		// the code's view.
		return base, nil
	}
	return res, nil
}

func (p *Providers) setupMetrics(res *resource.Resource) error {
	exp, err := otelprom.New(
		otelprom.WithRegisterer(p.Registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
	)
	if err != nil {
		return fmt.Errorf("prometheus exporter: %w", err)
	}
	if err := p.Registry.Register(collectors.NewGoCollector()); err != nil {
		return fmt.Errorf("go collector: %w", err)
	}
	if err := p.Registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return fmt.Errorf("process collector: %w", err)
	}
	seconds := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SecondsBuckets}},
	)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res), sdkmetric.WithView(seconds))
	p.MeterProvider = mp
	p.shutdown = append(p.shutdown, mp.Shutdown)
	return nil
}

func (p *Providers) setupTracing(ctx context.Context, res *resource.Resource, exp sdktrace.SpanExporter) error {
	if exp != nil {
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSyncer(exp))
		p.TracerProvider, p.tracing = tp, "exporter"
		p.shutdown = append(p.shutdown, tp.Shutdown)
		return nil
	}
	protocol, on, err := tracesFromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	if !on {
		p.TracerProvider = tracenoop.NewTracerProvider()
		return nil
	}
	switch protocol {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return fmt.Errorf("otlp trace exporter (%s): %w", protocol, err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))
	p.TracerProvider, p.tracing = tp, protocol
	p.shutdown = append(p.shutdown, tp.Shutdown)
	return nil
}

// tracesFromEnv decides whether tracing is on and over which protocol.
func tracesFromEnv(lookup func(string) (string, bool)) (protocol string, on bool, err error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	switch exp := strings.ToLower(get("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return "", false, nil
	case "otlp":
		on = true
	case "":
		on = get("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return "", false, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not supported (use otlp or none)", exp)
	}
	protocol = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "":
		protocol = "http/protobuf"
	case "grpc", "http/protobuf":
	default:
		return "", false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported (use grpc or http/protobuf)", protocol)
	}
	return protocol, on, nil
}

func envBool(key string) (bool, error) {
	v := strings.TrimSpace(os.Getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not a boolean", key, v)
	}
	return b, nil
}

// TracingEnabled reports whether spans are exported.
func (p *Providers) TracingEnabled() bool { return p.tracing != "" }

// TracingProtocol is "grpc", "http/protobuf", "exporter" (WithSpanExporter)
// or "" when tracing is off; for the start-up log line.
func (p *Providers) TracingProtocol() string { return p.tracing }

// MetricsHandler serves the registry in the Prometheus text (or OpenMetrics)
// format, for the ops server's /metrics.
func (p *Providers) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(p.Registry, promhttp.HandlerOpts{
		Registry:          p.Registry,
		EnableOpenMetrics: true,
		ErrorHandling:     promhttp.ContinueOnError,
	})
}

// Shutdown flushes pending spans and stops the providers. Call it last,
// after the services stopped, with a deadline.
func (p *Providers) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(p.shutdown) - 1; i >= 0; i-- {
		errs = append(errs, p.shutdown[i](ctx))
	}
	p.shutdown = nil
	return errors.Join(errs...)
}

func tracerProvider(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return tracenoop.NewTracerProvider()
	}
	return tp
}

func meterProvider(mp metric.MeterProvider) metric.MeterProvider {
	if mp == nil {
		return metricnoop.NewMeterProvider()
	}
	return mp
}
