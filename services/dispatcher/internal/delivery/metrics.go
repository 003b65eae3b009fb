package delivery

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/parleyhq/parley/platform/otelx"
)

// Metrics are the dispatcher's instruments, named in the platform's metric
// catalogue (otelx) so that dashboards and alerts find them: outcomes per
// channel (delivered, retried, failed, dead_lettered, skipped), attempt
// duration, delivery latency, POSTs in flight, circuit breaker states and
// dead letters per channel.
type Metrics struct {
	delivered    outcomeCounter
	retried      outcomeCounter
	failed       outcomeCounter
	deadLettered outcomeCounter
	skipped      outcomeCounter
	inFlight     metric.Int64UpDownCounter
	attemptDur   metric.Float64Histogram
	latency      metric.Float64Histogram
	breakerState metric.Int64Gauge
	deadLetters  metric.Int64Gauge
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
	if x.breakerState, err = otelx.NewGauge(m, otelx.MetricCircuitBreakerState); err != nil {
		return nil, err
	}
	if x.deadLetters, err = otelx.NewGauge(m, otelx.MetricDeadLetters); err != nil {
		return nil, err
	}
	return x, nil
}

// breaker records the state of the breaker of endpoint key (ChannelKey:
// never the URL): 0 closed, 1 half-open, 2 open.
func (x *Metrics) breaker(key string, s gobreaker.State) {
	var v int64
	switch s {
	case gobreaker.StateHalfOpen:
		v = 1
	case gobreaker.StateOpen:
		v = 2
	}
	x.breakerState.Record(context.Background(), v, metric.WithAttributes(attribute.String("endpoint", key)))
}

// DeadLetters records how many dead letters a channel has in the DLQ.
func (x *Metrics) DeadLetters(ctx context.Context, botID, instanceID string, n uint64) {
	x.deadLetters.Record(ctx, int64(n), channelAttrs(botID, instanceID))
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
