package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/parleyhq/parley/platform/otelx"
	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
)

// timed measures the calls that reach a store: parley.session.store (by op)
// and parley.session.fenced, the saves refused with ErrStale.
type timed struct {
	inner      Store
	duration   metric.Float64Histogram
	fenced     metric.Int64Counter
	load, save metric.MeasurementOption
}

// Timed wraps inner so that each Load and Save is timed and each fenced
// save counted, on mp (a no-op provider when nil). Put it under the cache
// (NewCached(Timed(store))) so that it measures real store calls only.
func Timed(inner Store, mp metric.MeterProvider) (Store, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/parleyhq/parley/services/dialog")
	t := &timed{
		inner: inner,
		load:  metric.WithAttributes(attribute.String("op", "load")),
		save:  metric.WithAttributes(attribute.String("op", "save")),
	}
	var err error
	if t.duration, err = otelx.NewHistogram(m, otelx.MetricSessionStore); err != nil {
		return nil, fmt.Errorf("session metrics: %w", err)
	}
	if t.fenced, err = otelx.NewCounter(m, otelx.MetricSessionFenced); err != nil {
		return nil, fmt.Errorf("session metrics: %w", err)
	}
	return t, nil
}

// Load implements Store.
func (t *timed) Load(ctx context.Context, convKey string) (Record, error) {
	start := time.Now()
	rec, err := t.inner.Load(ctx, convKey)
	t.duration.Record(ctx, time.Since(start).Seconds(), t.load)
	return rec, err
}

// Save implements Store.
func (t *timed) Save(ctx context.Context, convKey string, prev Record, next *dialogv1.Session, ttl time.Duration) (uint64, error) {
	start := time.Now()
	v, err := t.inner.Save(ctx, convKey, prev, next, ttl)
	t.duration.Record(ctx, time.Since(start).Seconds(), t.save)
	if errors.Is(err, ErrStale) {
		t.fenced.Add(ctx, 1)
	}
	return v, err
}
