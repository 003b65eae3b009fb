package partitions_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/platform/polltest"
)

// gauges collects the int64 gauges of reader as name{k=v,...} -> value,
// failing on a gauge whose unit, kind or label keys differ from the
// catalogue's.
func gauges(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			def, ok := otelx.Lookup(m.Name)
			if !ok {
				continue
			}
			g, isGauge := m.Data.(metricdata.Gauge[int64])
			if def.Kind != otelx.Gauge || !isGauge || m.Unit != def.Unit {
				t.Fatalf("%s: %T with unit %q; the catalogue says %s with unit %q", m.Name, m.Data, m.Unit, def.Kind, def.Unit)
			}
			for _, dp := range g.DataPoints {
				var labels []string
				for _, k := range def.Labels {
					v, ok := dp.Attributes.Value(attribute.Key(k))
					if !ok {
						t.Fatalf("%s: labels %v, want keys %v", m.Name, dp.Attributes.ToSlice(), def.Labels)
					}
					labels = append(labels, k+"="+v.AsString())
				}
				if dp.Attributes.Len() != len(def.Labels) {
					t.Fatalf("%s: labels %v, want keys %v", m.Name, dp.Attributes.ToSlice(), def.Labels)
				}
				out[m.Name+"{"+strings.Join(labels, ",")+"}"] = dp.Value
			}
		}
	}
	return out
}

// TestMetrics: the member reports the partitions it owns and the
// configured count, samples the lag and the un-acked messages of each owned
// consumer, and zeroes them all when it leaves.
func TestMetrics(t *testing.T) {
	js, cfg := setup(t)
	cfg.Partitions = 2
	cfg.MaxInFlight = 2
	cfg.MetricsInterval = 50 * time.Millisecond
	cfg.DrainTimeout = 200 * time.Millisecond
	reader := sdkmetric.NewManualReader()
	cfg.Meter = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	// The handler holds each message until its gate opens.
	var gate atomic.Pointer[chan struct{}]
	release := make(chan struct{})
	gate.Store(&release)
	var handled atomic.Int64
	stop, done, _ := startMember(t, js, cfg, "a", func(ctx context.Context, _ jetstream.Msg) error {
		select {
		case <-*gate.Load():
		case <-ctx.Done():
			return ctx.Err()
		}
		handled.Add(1)
		return nil
	})
	publishTo := func(p, n int) {
		for i := range n {
			if _, err := js.Publish(t.Context(), fmt.Sprintf("%s.%d.k%02d", cfg.SubjectRoot, p, i), []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Five messages on partition 0: two handed out (MaxInFlight) and held
	// by the handler, three waiting.
	publishTo(0, 5)
	p0 := fmt.Sprintf("{stream=%s,consumer=work-p00}", cfg.Stream)
	p1 := fmt.Sprintf("{stream=%s,consumer=work-p01}", cfg.Stream)
	want := map[string]int64{
		otelx.MetricPartitionsOwned + "{group=work}": 2,
		otelx.MetricPartitions + "{group=work}":      2,
		otelx.MetricConsumerPending + p0:             3,
		otelx.MetricConsumerAckPending + p0:          2,
		otelx.MetricConsumerPending + p1:             0,
		otelx.MetricConsumerAckPending + p1:          0,
	}
	waitForGauges(t, reader, "the held messages", want)

	close(release)
	polltest.Until(t, "all messages", 10*time.Second, func() bool { return handled.Load() == 5 })
	want[otelx.MetricConsumerPending+p0], want[otelx.MetricConsumerAckPending+p0] = 0, 0
	waitForGauges(t, reader, "the drained partition", want)

	// Hold four messages on partition 1, then leave: a member that left
	// owns nothing and reports no lag (the next owner does), so sums over
	// replicas stay right.
	never := make(chan struct{})
	gate.Store(&never)
	publishTo(1, 4)
	want[otelx.MetricConsumerPending+p1], want[otelx.MetricConsumerAckPending+p1] = 2, 2
	waitForGauges(t, reader, "the held messages of partition 1", want)
	stop()
	<-done
	got := gauges(t, reader)
	for name := range want {
		want[name] = 0
	}
	want[otelx.MetricPartitions+"{group=work}"] = 2
	if !equal(got, want) {
		t.Fatalf("after leaving: %v, want %v", got, want)
	}
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
