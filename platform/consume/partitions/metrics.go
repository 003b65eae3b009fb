package partitions

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/parleyhq/parley/platform/otelx"
)

// metrics are the group's gauges: partitions owned and configured, and the
// pending and ack-pending counts of the consumers this member owns.
type metrics struct {
	partitionCount int
	group          metric.MeasurementOption
	stream         string
	owned, total   metric.Int64Gauge
	pending, acks  metric.Int64Gauge
	// reported are the consumers whose gauges this member set last, so
	// that one it no longer owns is set to 0 rather than left at its last
	// value (the new owner reports it, and sums over replicas stay right).
	// Only the sampler and, after it stopped, left use it.
	reported map[string]bool
}

func newMetrics(cfg Config) (*metrics, error) {
	mp := cfg.Meter
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/platform/consume/partitions")
	x := &metrics{
		partitionCount: cfg.Partitions,
		group:          metric.WithAttributes(attribute.String("group", cfg.Group)),
		stream:         cfg.Stream,
		reported:       map[string]bool{},
	}
	var err error
	for _, g := range []struct {
		name string
		dst  *metric.Int64Gauge
	}{
		{otelx.MetricPartitionsOwned, &x.owned},
		{otelx.MetricPartitions, &x.total},
		{otelx.MetricConsumerPending, &x.pending},
		{otelx.MetricConsumerAckPending, &x.acks},
	} {
		if *g.dst, err = otelx.NewGauge(m, g.name); err != nil {
			return nil, fmt.Errorf("partitions metrics: %w", err)
		}
	}
	return x, nil
}

// partitions records the partitions owned and configured.
func (m *metrics) partitions(ctx context.Context, owned int) {
	m.owned.Record(ctx, int64(owned), m.group)
	m.total.Record(ctx, int64(m.partitionCount), m.group)
}

func (m *metrics) consumerAttrs(consumer string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("stream", m.stream), attribute.String("consumer", consumer))
}

func (m *metrics) consumer(ctx context.Context, consumer string, pending, ackPending uint64) {
	attrs := m.consumerAttrs(consumer)
	m.pending.Record(ctx, int64(pending), attrs)
	m.acks.Record(ctx, int64(ackPending), attrs)
	m.reported[consumer] = true
}

// forget zeroes the gauges of the reported consumers not in keep.
func (m *metrics) forget(ctx context.Context, keep map[string]bool) {
	for name := range m.reported {
		if !keep[name] {
			m.consumer(ctx, name, 0, 0)
			delete(m.reported, name)
		}
	}
}

// left records that the member released everything.
func (m *metrics) left(ctx context.Context) {
	m.partitions(ctx, 0)
	m.forget(ctx, nil)
}

// sampleConsumers reads the info of each owned partition's consumer every
// MetricsInterval until ctx is done.
func (g *Group) sampleConsumers(ctx context.Context) {
	tick := time.NewTicker(g.cfg.MetricsInterval)
	defer tick.Stop()
	for {
		g.sampleOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (g *Group) sampleOnce(ctx context.Context) {
	g.mu.Lock()
	runs := make([]*partitionRun, 0, len(g.owned))
	for _, r := range g.owned {
		runs = append(runs, r)
	}
	g.mu.Unlock()
	sort.Slice(runs, func(i, j int) bool { return runs[i].p < runs[j].p })
	owned := make(map[string]bool, len(runs))
	for _, r := range runs {
		name := r.consumerName()
		owned[name] = true
		c, cancel := context.WithTimeout(ctx, min(g.cfg.MetricsInterval, 5*time.Second))
		info, err := r.cons.Info(c)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			g.log.Debug("sample consumer", "partition", r.p, "err", err)
			continue // keep the last value
		}
		g.metrics.consumer(ctx, name, info.NumPending, uint64(max(info.NumAckPending, 0)))
	}
	g.metrics.forget(ctx, owned)
}
