package otelx

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// HTTPHandler wraps h with a SERVER span per request (named "<method>
// <operation>", e.g. "POST webhook"), extracting W3C trace context from the
// request, and with the http.server.* metrics of the HTTP semantic
// conventions (http_server_request_duration_seconds, ...). operation must
// be low-cardinality: a route, not a path. Nil providers are no-ops.
//
// Kore's webhook callers do not send traceparent; the span then starts a
// new trace, which the bus carries to dialog and the dispatcher.
func HTTPHandler(h http.Handler, operation string, tp trace.TracerProvider, mp metric.MeterProvider) http.Handler {
	return otelhttp.NewHandler(h, operation,
		otelhttp.WithTracerProvider(tracerProvider(tp)),
		otelhttp.WithMeterProvider(meterProvider(mp)),
		otelhttp.WithPropagators(Propagator),
		otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string { return r.Method + " " + op }),
	)
}

// HTTPTransport wraps base (http.DefaultTransport when nil) with a CLIENT
// span per request and injects traceparent into outgoing requests, plus the
// http.client.* metrics. The dispatcher wraps its SSRF-guarded transport
// with it; the guard still sees every dial.
func HTTPTransport(base http.RoundTripper, tp trace.TracerProvider, mp metric.MeterProvider) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tracerProvider(tp)),
		otelhttp.WithMeterProvider(meterProvider(mp)),
		otelhttp.WithPropagators(Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}
