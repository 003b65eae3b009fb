package natsio

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/otelx"
)

// Telemetry is the dialog consumer's tracer and instruments.
type Telemetry struct {
	Tracer       trace.TracerProvider
	processing   metric.Float64Histogram
	redeliveries metric.Int64Counter
}

// NewTelemetry builds the instruments; nil providers disable them.
func NewTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*Telemetry, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/services/dialog")
	t := &Telemetry{Tracer: tp}
	var err error
	if t.processing, err = otelx.NewHistogram(m, otelx.MetricDialogProcessing); err != nil {
		return nil, fmt.Errorf("dialog metrics: %w", err)
	}
	if t.redeliveries, err = otelx.NewCounter(m, otelx.MetricRedeliveries); err != nil {
		return nil, fmt.Errorf("dialog metrics: %w", err)
	}
	return t, nil
}
