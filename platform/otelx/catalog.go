package otelx

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// The metric catalogue: every Parley instrument, its OpenTelemetry name and
// unit, and the Prometheus name the exporter turns it into. Services create
// their instruments from these definitions (the name and unit decide the
// Prometheus name, so a different unit is a different metric), the
// dashboards and alert rules in deploy/ use the Prometheus names, and
// deploy/METRICS.md documents them; tests check all three agree.

// Kind is the instrument kind of a metric.
type Kind string

// Instrument kinds.
const (
	Counter   Kind = "counter"   // Int64Counter: Prometheus counter, _total suffix
	Histogram Kind = "histogram" // Float64Histogram in seconds: _bucket, _sum, _count
	Gauge     Kind = "gauge"     // Int64Gauge (or an observable gauge)
)

// MetricDef defines one metric.
type MetricDef struct {
	// Name is the OpenTelemetry instrument name.
	Name string
	// Unit is the instrument unit: "s" adds _seconds, a {annotation} adds
	// nothing.
	Unit string
	Kind Kind
	// Prom is the Prometheus metric name, without the _bucket/_sum/_count
	// series suffixes of histograms.
	Prom string
	// Labels are the attribute keys every measurement carries (and only
	// those: unbounded values such as user ids never become labels).
	Labels []string
	// Help is the instrument description.
	Help string
}

// Instrument names. Create instruments with NewCounter, NewHistogram and
// NewGauge, which take the unit and description from Catalog:
//
//	m := deps.Meter.Meter("github.com/parleyhq/parley/services/ingress")
//	received, err := otelx.NewCounter(m, otelx.MetricTurnsReceived)
//	...
//	received.Add(ctx, 1, metric.WithAttributes(attribute.String("mode", "sync")))
const (
	MetricTurnsReceived       = "parley.turns.received"
	MetricTurnsAccepted       = "parley.turns.accepted"
	MetricTurnsRefused        = "parley.turns.refused"
	MetricTurnsReplayed       = "parley.turns.replayed"
	MetricSyncLatency         = "parley.sync.latency"
	MetricDialogProcessing    = "parley.dialog.processing"
	MetricSessionStore        = "parley.session.store"
	MetricSessionFenced       = "parley.session.fenced"
	MetricConsumerPending     = "parley.jetstream.consumer.pending"
	MetricConsumerAckPending  = "parley.jetstream.consumer.ack_pending"
	MetricRedeliveries        = "parley.jetstream.redeliveries"
	MetricPartitionsOwned     = "parley.partitions.owned"
	MetricPartitions          = "parley.partitions"
	MetricDeliveryOutcomes    = "parley.delivery.outcomes"
	MetricDeliveryAttempt     = "parley.delivery.attempt"
	MetricDeliveryLatency     = "parley.delivery.latency"
	MetricDeadLetters         = "parley.dead_letters"
	MetricCircuitBreakerState = "parley.circuit_breaker.state"
	MetricHTTPServerDuration  = "http.server.request.duration"
	MetricHTTPClientDuration  = "http.client.request.duration"
)

// Catalog lists every metric Parley emits. The last two come from
// HTTPHandler and HTTPTransport (otelhttp), not from Parley code.
var Catalog = []MetricDef{
	{MetricTurnsReceived, "{turn}", Counter, "parley_turns_received_total", []string{"mode"},
		"Webhook requests that reached the turn handler, by mode (sync, async)."},
	{MetricTurnsAccepted, "{turn}", Counter, "parley_turns_accepted_total", []string{"mode"},
		"Turns published to PARLEY_IN (JetStream acknowledged the publish)."},
	{MetricTurnsRefused, "{turn}", Counter, "parley_turns_refused_total", []string{"reason"},
		"Webhook requests answered with an error, by reason (unauthorized, forbidden, not_found, disabled, invalid, too_large, rate_limited, unavailable)."},
	{MetricTurnsReplayed, "{request}", Counter, "parley_turns_replayed_total", nil,
		"Webhook requests answered from the first request with the same Idempotency-Key, without a new turn."},
	{MetricSyncLatency, "s", Histogram, "parley_sync_latency_seconds", []string{"outcome"},
		"Time from a sync webhook request to its response, by outcome (replied, poll, timeout)."},
	{MetricDialogProcessing, "s", Histogram, "parley_dialog_processing_seconds", []string{"outcome"},
		"Time the dialog spent on one turn delivery, by outcome (ok, retry, dead_letter)."},
	{MetricSessionStore, "s", Histogram, "parley_session_store_seconds", []string{"op"},
		"Duration of one session store operation, by op (load, save)."},
	{MetricSessionFenced, "{write}", Counter, "parley_session_fenced_total", nil,
		"Session writes refused by the fencing token: a stale owner tried to apply a turn already applied."},
	{MetricConsumerPending, "{message}", Gauge, "parley_jetstream_consumer_pending", []string{"stream", "consumer"},
		"Messages in the stream not yet delivered to the consumer (its lag), sampled by the replica owning the partition."},
	{MetricConsumerAckPending, "{message}", Gauge, "parley_jetstream_consumer_ack_pending", []string{"stream", "consumer"},
		"Messages delivered to the consumer and not yet acknowledged."},
	{MetricRedeliveries, "{message}", Counter, "parley_jetstream_redeliveries_total", []string{"stream", "consumer"},
		"Deliveries with NumDelivered > 1: a handler failed, was too slow or its replica died."},
	{MetricPartitionsOwned, "{partition}", Gauge, "parley_partitions_owned", []string{"group"},
		"Partitions whose lease this replica holds, by consumer group (dialog, dispatcher)."},
	{MetricPartitions, "{partition}", Gauge, "parley_partitions", []string{"group"},
		"Configured partition count (bus.partitions), reported by every consuming replica."},
	{MetricDeliveryOutcomes, "{message}", Counter, "parley_delivery_outcomes_total", []string{"channel", "outcome"},
		"Dispatcher attempt outcomes by channel (webhook instance) and outcome (delivered, retried, failed, dead_lettered, skipped)."},
	{MetricDeliveryAttempt, "s", Histogram, "parley_delivery_attempt_seconds", []string{"channel"},
		"Duration of one outbound POST to a channel endpoint."},
	{MetricDeliveryLatency, "s", Histogram, "parley_delivery_latency_seconds", []string{"channel"},
		"Time from a reply's production to the endpoint's 2xx, retries included."},
	{MetricDeadLetters, "{message}", Gauge, "parley_dead_letters", []string{"channel"},
		"Messages currently held in the DLQ stream, by channel."},
	{MetricCircuitBreakerState, "{state}", Gauge, "parley_circuit_breaker_state", []string{"endpoint"},
		"Circuit breaker state per endpoint (the dispatcher's breaker key, never the URL): 0 closed, 1 half-open, 2 open."},
	{MetricHTTPServerDuration, "s", Histogram, "http_server_request_duration_seconds", []string{"http_request_method", "http_response_status_code"},
		"Inbound HTTP request duration (otelhttp, via HTTPHandler)."},
	{MetricHTTPClientDuration, "s", Histogram, "http_client_request_duration_seconds", []string{"http_request_method", "http_response_status_code"},
		"Outbound HTTP request duration (otelhttp, via HTTPTransport)."},
}

// Lookup returns the catalogue entry of an instrument name.
func Lookup(name string) (MetricDef, bool) {
	for _, d := range Catalog {
		if d.Name == name {
			return d, true
		}
	}
	return MetricDef{}, false
}

func lookupKind(name string, kind Kind) (MetricDef, error) {
	d, ok := Lookup(name)
	if !ok {
		return d, fmt.Errorf("metric %s is not in the otelx catalogue", name)
	}
	if d.Kind != kind {
		return d, fmt.Errorf("metric %s is a %s, not a %s", name, d.Kind, kind)
	}
	return d, nil
}

// NewCounter creates the catalogue counter name on m.
func NewCounter(m metric.Meter, name string) (metric.Int64Counter, error) {
	d, err := lookupKind(name, Counter)
	if err != nil {
		return nil, err
	}
	return m.Int64Counter(d.Name, metric.WithUnit(d.Unit), metric.WithDescription(d.Help))
}

// NewHistogram creates the catalogue histogram name on m, with
// SecondsBuckets as its boundaries (so they are right even on a
// MeterProvider without Setup's view).
func NewHistogram(m metric.Meter, name string) (metric.Float64Histogram, error) {
	d, err := lookupKind(name, Histogram)
	if err != nil {
		return nil, err
	}
	return m.Float64Histogram(d.Name, metric.WithUnit(d.Unit), metric.WithDescription(d.Help),
		metric.WithExplicitBucketBoundaries(SecondsBuckets...))
}

// NewGauge creates the catalogue gauge name on m. For values read on
// scrape (consumer lag, DLQ size), register an Int64ObservableGauge with
// the same name, unit and description instead.
func NewGauge(m metric.Meter, name string) (metric.Int64Gauge, error) {
	d, err := lookupKind(name, Gauge)
	if err != nil {
		return nil, err
	}
	return m.Int64Gauge(d.Name, metric.WithUnit(d.Unit), metric.WithDescription(d.Help))
}
