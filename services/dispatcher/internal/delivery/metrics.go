package delivery

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/parleyhq/parley/platform/otelx"
)

// Metrics are the dispatcher's instruments, named in the platform's metric
// catalogue (otelx) so that dashboards and alerts find them: outcomes per
// channel (delivered, retried, failed, dead_lettered, skipped), attempt
// duration, delivery latency, and POSTs in flight.
type Metrics struct {
	delivered    outcomeCounter
	retried      outcomeCounter
	failed       outcomeCounter
	deadLettered outcomeCounter
	skipped      outcomeCounter
	inFlight     metric.Int64UpDownCounter
	attemptDur   metric.Float64Histogram
	latency      metric.Float64Histogram
}

// outcomeCounter adds one outcome label to the shared outcomes counter.
type outcomeCounter struct {
	c     metric.Int64Counter
	label metric.MeasurementOption
}

func (o outcomeCounter) Add(ctx context.Context, n int64, opts ...metric.AddOption) {
	o.c.Add(ctx, n, append(opts, o.label)...)
}

// NewMetrics builds the instruments on mp (a no-op provider when nil).
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/services/dispatcher")
	outcomes, err := otelx.NewCounter(m, otelx.MetricDeliveryOutcomes)
	if err != nil {
		return nil, err
	}
	mk := func(name string) outcomeCounter {
		return outcomeCounter{c: outcomes, label: metric.WithAttributes(attribute.String("outcome", name))}
	}
	x := &Metrics{
		delivered: mk("delivered"), retried: mk("retried"), failed: mk("failed"),
		deadLettered: mk("dead_lettered"), skipped: mk("skipped"),
	}
	if x.inFlight, err = m.Int64UpDownCounter("parley.delivery.in_flight", metric.WithDescription("POSTs in progress."), metric.WithUnit("{request}")); err != nil {
		return nil, err
	}
	if x.attemptDur, err = otelx.NewHistogram(m, otelx.MetricDeliveryAttempt); err != nil {
		return nil, err
	}
	if x.latency, err = otelx.NewHistogram(m, otelx.MetricDeliveryLatency); err != nil {
		return nil, err
	}
	return x, nil
}

// channelAttrs labels a measurement with its channel. Reasons stay in logs
// and dead letters: as labels they would multiply the series.
func channelAttrs(botID, instanceID string, _ ...attribute.KeyValue) metric.MeasurementOption {
	channel := botID
	if instanceID != "" {
		channel += "/" + instanceID
	}
	return metric.WithAttributes(attribute.String("channel", channel))
}

func seconds(d time.Duration) float64 { return d.Seconds() }
