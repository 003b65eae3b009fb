package delivery

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metrics are the dispatcher's instruments; every one carries the channel
// (bot_id, instance_id).
type Metrics struct {
	delivered    metric.Int64Counter
	retried      metric.Int64Counter
	failed       metric.Int64Counter
	deadLettered metric.Int64Counter
	skipped      metric.Int64Counter
	inFlight     metric.Int64UpDownCounter
	attemptDur   metric.Float64Histogram
	latency      metric.Float64Histogram
}

// NewMetrics builds the instruments on mp (a no-op provider when nil).
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/services/dispatcher")
	var err error
	mk := func(name, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{message}"))
		if e != nil {
			err = e
		}
		return c
	}
	x := &Metrics{
		delivered:    mk("parley.dispatcher.delivered", "Messages the endpoint accepted with a 2xx."),
		retried:      mk("parley.dispatcher.retried", "Attempts scheduled again after a retryable failure or backpressure."),
		failed:       mk("parley.dispatcher.failed", "Attempts that did not get a 2xx (including backpressure)."),
		deadLettered: mk("parley.dispatcher.dead_lettered", "Messages given up and stored in the DLQ, by reason."),
		skipped:      mk("parley.dispatcher.skipped", "Messages not POSTed: already delivered, or a sync channel's reply (reason)."),
	}
	if x.inFlight, err = m.Int64UpDownCounter("parley.dispatcher.in_flight", metric.WithDescription("POSTs in progress."), metric.WithUnit("{request}")); err != nil {
		return nil, err
	}
	if x.attemptDur, err = m.Float64Histogram("parley.dispatcher.attempt.duration", metric.WithDescription("Duration of one POST."), metric.WithUnit("s")); err != nil {
		return nil, err
	}
	if x.latency, err = m.Float64Histogram("parley.dispatcher.delivery.latency", metric.WithDescription("From the reply's production to the 2xx, retries included."), metric.WithUnit("s")); err != nil {
		return nil, err
	}
	return x, err
}

func channelAttrs(botID, instanceID string, extra ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributes(append([]attribute.KeyValue{
		attribute.String("bot_id", botID), attribute.String("instance_id", instanceID),
	}, extra...)...)
}

func seconds(d time.Duration) float64 { return d.Seconds() }
