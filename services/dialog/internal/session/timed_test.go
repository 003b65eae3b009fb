package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parleyhq/parley/platform/otelx"
	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/memstore"
	"github.com/parleyhq/parley/services/dialog/internal/session"
	"github.com/parleyhq/parley/services/dialog/internal/storetest"
)

func TestTimedConformance(t *testing.T) {
	store, err := session.Timed(memstore.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	storetest.Run(t, store, func() string { n++; return fmt.Sprintf("k%d", n) })
}

// TestTimedMetrics: under the cache, only the calls that reach the store
// are timed, by op, and only ErrStale saves count as fenced.
func TestTimedMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	timed, err := session.Timed(memstore.New(), mp)
	if err != nil {
		t.Fatal(err)
	}
	store := session.NewCached(timed, 100, time.Minute)
	loadSaveThroughCache(t, store)

	counts, fenced := collectSessionMetrics(t, reader)
	if counts["load"] != 1 || counts["save"] != 3 || len(counts) != 2 {
		t.Errorf("%s counts by op = %v, want load 1 and save 3", otelx.MetricSessionStore, counts)
	}
	if fenced != 1 {
		t.Errorf("%s = %d, want 1", otelx.MetricSessionFenced, fenced)
	}
}

// loadSaveThroughCache makes one load reach the store and one not, then
// three saves: a good one, a replayed one (ErrStale) and one over an old
// version (ErrConflict).
func loadSaveThroughCache(t *testing.T, store *session.Cached) {
	t.Helper()
	ctx := t.Context()
	rec, err := store.Load(ctx, "k") // miss: reaches the store
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(ctx, "k", rec, &dialogv1.Session{LastTurnSequence: 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if rec, err = store.Load(ctx, "k"); err != nil { // hit: does not
		t.Fatal(err)
	}
	if _, err := store.Save(ctx, "k", rec, &dialogv1.Session{LastTurnSequence: 1}, time.Minute); !errors.Is(err, session.ErrStale) {
		t.Fatalf("replayed save: %v, want ErrStale", err)
	}
	if _, err := store.Save(ctx, "k", session.Record{}, &dialogv1.Session{LastTurnSequence: 2}, time.Minute); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save over an old version: %v, want ErrConflict", err)
	}
}

// collectSessionMetrics reads the session store's timings, counted by op,
// and its fenced total (-1 when not reported), checking each metric's
// unit and labels against the catalogue.
func collectSessionMetrics(t *testing.T, reader *sdkmetric.ManualReader) (counts map[string]uint64, fenced int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts = map[string]uint64{}
	fenced = -1
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			def, ok := otelx.Lookup(m.Name)
			if ok && m.Unit != def.Unit {
				t.Errorf("%s has unit %q, want %q", m.Name, m.Unit, def.Unit)
			}
			switch m.Name {
			case otelx.MetricSessionStore:
				countStoreCalls(t, m, def.Labels, counts)
			case otelx.MetricSessionFenced:
				fenced = sumFenced(t, m, def.Labels)
			}
		}
	}
	return counts, fenced
}

// countStoreCalls adds the timed calls of the store histogram m to counts,
// by op.
func countStoreCalls(t *testing.T, m metricdata.Metrics, labels []string, counts map[string]uint64) {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, want a float64 histogram", m.Name, m.Data)
	}
	for _, dp := range h.DataPoints {
		checkLabels(t, m.Name, dp.Attributes, labels)
		op, _ := dp.Attributes.Value("op")
		counts[op.AsString()] += dp.Count
	}
}

// sumFenced totals the fenced-saves counter m.
func sumFenced(t *testing.T, m metricdata.Metrics, labels []string) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !s.IsMonotonic {
		t.Fatalf("%s is a %T, want a monotonic int64 sum", m.Name, m.Data)
	}
	var fenced int64
	for _, dp := range s.DataPoints {
		checkLabels(t, m.Name, dp.Attributes, labels)
		fenced += dp.Value
	}
	return fenced
}

// checkLabels fails unless attrs has exactly the catalogue's label keys.
func checkLabels(t *testing.T, name string, attrs attribute.Set, want []string) {
	t.Helper()
	if attrs.Len() != len(want) {
		t.Errorf("%s labels %v, want keys %v", name, attrs.ToSlice(), want)
		return
	}
	for _, k := range want {
		if _, ok := attrs.Value(attribute.Key(k)); !ok {
			t.Errorf("%s labels %v, want keys %v", name, attrs.ToSlice(), want)
		}
	}
}
