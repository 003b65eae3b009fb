package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/parleyhq/parley/platform/otelx"
)

// telemetry holds the webhook's instruments.
type telemetry struct {
	received, accepted, refused metric.Int64Counter
	replayed                    metric.Int64Counter
	syncLatency                 metric.Float64Histogram
}

func newTelemetry(mp metric.MeterProvider) (*telemetry, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/services/ingress")
	var t telemetry
	var err error
	if t.received, err = otelx.NewCounter(m, otelx.MetricTurnsReceived); err != nil {
		return nil, err
	}
	if t.accepted, err = otelx.NewCounter(m, otelx.MetricTurnsAccepted); err != nil {
		return nil, err
	}
	if t.refused, err = otelx.NewCounter(m, otelx.MetricTurnsRefused); err != nil {
		return nil, err
	}
	if t.replayed, err = otelx.NewCounter(m, otelx.MetricTurnsReplayed); err != nil {
		return nil, err
	}
	if t.syncLatency, err = otelx.NewHistogram(m, otelx.MetricSyncLatency); err != nil {
		return nil, err
	}
	return &t, nil
}

func modeAttr(mode string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("mode", mode))
}

// refusal names the reason of a refused request for the refused counter;
// a 504 is not a refusal (the turn was accepted) and returns "".
func refusal(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "disabled"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusInternalServerError:
		return "internal"
	case http.StatusConflict:
		return "idempotency_in_flight"
	case http.StatusUnprocessableEntity:
		return "idempotency_reused"
	}
	if status >= 400 && status != http.StatusGatewayTimeout {
		return fmt.Sprintf("http_%d", status)
	}
	return ""
}

func (t *telemetry) recordRefusal(ctx context.Context, status int) {
	if reason := refusal(status); reason != "" {
		t.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
	}
}

func (t *telemetry) recordSync(ctx context.Context, start time.Time, outcome string) {
	t.syncLatency.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
}

// statusWriter remembers the status written, for the refusal counter.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
