package dispatcher_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/dispatcher"
	"github.com/parleyhq/parley/services/dispatcher/internal/delivery"
)

// gauge returns the values of the catalogue gauge name by its one label's
// value, failing if its unit, kind or label keys differ from the
// catalogue's.
func gauge(t *testing.T, reader *metric.ManualReader, name string) map[string]int64 {
	t.Helper()
	def, ok := otelx.Lookup(name)
	if !ok || def.Kind != otelx.Gauge || len(def.Labels) != 1 {
		t.Fatalf("%s: not a one-label gauge of the catalogue", name)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || m.Unit != def.Unit {
				t.Fatalf("%s: %T with unit %q, want an int64 gauge with unit %q", name, m.Data, m.Unit, def.Unit)
			}
			for _, dp := range g.DataPoints {
				v, ok := dp.Attributes.Value(attribute.Key(def.Labels[0]))
				if !ok || dp.Attributes.Len() != 1 {
					t.Fatalf("%s: labels %v, want only %q", name, dp.Attributes.ToSlice(), def.Labels[0])
				}
				out[v.AsString()] = dp.Value
			}
		}
	}
	return out
}

// TestDeadLetterMetric: the dead letters in the DLQ are counted per channel
// (the first instance's channel is the bot id), and a channel whose dead
// letters are gone drops to 0.
func TestDeadLetterMetric(t *testing.T) {
	rc := newReceiver(t, func(_ *http.Request, body []byte, _ int64) int {
		if bytes.Contains(body, []byte("bad")) {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e := newEnv(t,
		registry.Instance{InstanceID: "", PostURL: rc.url()},
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
	)
	reader := metric.NewManualReader()
	cfg := fastConfig()
	cfg.MetricsInterval = 50 * time.Millisecond
	e.start(cfg, func(d *dispatcher.Deps) { d.Meter = metric.NewMeterProvider(metric.WithReader(reader)) })
	p := e.publisher()
	p.reply("async", "u1", "bad1", "bad2")
	p.reply("", "u2", "bad3")
	waitForGauge(t, reader, otelx.MetricDeadLetters, map[string]int64{e.channel("async"): 2, e.channel(""): 1})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := e.conn.JS.Stream(ctx, e.conn.Cfg.Name(bus.StreamDeadLetters))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(e.conn.Cfg.Subject(bus.SubjectDeadLetters)+"."+botID+".async")); err != nil {
		t.Fatal(err)
	}
	waitForGauge(t, reader, otelx.MetricDeadLetters, map[string]int64{e.channel("async"): 0, e.channel(""): 1})
}

// TestCircuitBreakerMetric: a breaker reports closed (0) when created, open
// (2) when failures trip it, half-open (1) while its probe is out and
// closed again after the probe succeeds; the endpoint label is the breaker
// key, never the URL.
func TestCircuitBreakerMetric(t *testing.T) {
	var up, probing atomic.Bool
	probe := make(chan struct{})
	var closeProbe atomic.Bool
	release := func() {
		if closeProbe.CompareAndSwap(false, true) {
			close(probe)
		}
	}
	rc := newReceiver(t, func(r *http.Request, body []byte, _ int64) int {
		switch {
		case bytes.Contains(body, []byte("calm")):
			return http.StatusOK
		case !up.Load():
			return http.StatusInternalServerError
		case probing.CompareAndSwap(false, true):
			select { // hold the half-open probe
			case <-probe:
			case <-r.Context().Done():
			}
		}
		return http.StatusOK
	})
	t.Cleanup(release) // before the receiver closes: it waits for its handlers
	calm := newReceiver(t, nil)
	e := newEnv(t,
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
		registry.Instance{InstanceID: "calm", PostURL: calm.url()},
	)
	reader := metric.NewManualReader()
	cfg := fastConfig()
	cfg.RetrySchedule = repeat(6, 20*time.Millisecond)
	cfg.Breaker = dispatcherConfigBreaker(0.5, 3, 10*time.Second, 300*time.Millisecond)
	e.start(cfg, func(d *dispatcher.Deps) { d.Meter = metric.NewMeterProvider(metric.WithReader(reader)) })
	failing, healthy := delivery.ChannelKey(botID, "async"), delivery.ChannelKey(botID, "calm")

	p := e.publisher()
	p.reply("calm", "u0", "calm")
	polltest.Until(t, "the calm channel", 10*time.Second, func() bool { return calm.distinct() >= 2 })
	waitForGauge(t, reader, otelx.MetricCircuitBreakerState, map[string]int64{healthy: 0})

	// One user: its lane sends one attempt at a time, so once the third
	// failure opens the circuit nothing is in flight and the next request
	// is the half-open probe.
	p.reply("async", "u1", "hello")
	waitForGauge(t, reader, otelx.MetricCircuitBreakerState, map[string]int64{healthy: 0, failing: 2})
	up.Store(true)
	waitForGauge(t, reader, otelx.MetricCircuitBreakerState, map[string]int64{healthy: 0, failing: 1})
	release()
	waitForGauge(t, reader, otelx.MetricCircuitBreakerState, map[string]int64{healthy: 0, failing: 0})
	for endpoint := range gauge(t, reader, otelx.MetricCircuitBreakerState) {
		if strings.Contains(endpoint, "http") || strings.Contains(endpoint, "/") {
			t.Errorf("endpoint label %q looks like a URL", endpoint)
		}
	}
}
