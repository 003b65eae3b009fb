package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sony/gobreaker/v2"

	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
)

// BreakerSettings configure the circuit breaker of each endpoint.
type BreakerSettings struct {
	// FailureRatio of the requests in Window that opens the circuit.
	FailureRatio float64
	// MinRequests in Window before the ratio is considered.
	MinRequests uint32
	Window      time.Duration
	// OpenTimeout is how long the circuit stays open before one probe.
	OpenTimeout time.Duration
}

// errNeutral is reported to the breaker for outcomes that say nothing about
// the endpoint's health (a refused destination, a throttling answer).
var errNeutral = errors.New("neutral outcome")

// endpoint is the shared state of one channel's POST_URL: every lane that
// delivers to it goes through its concurrency limit and circuit breaker.
type endpoint struct {
	key, url string
	sem      chan struct{}
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	// openUntil is when an open circuit lets a probe through (Unix nanos).
	openUntil atomic.Int64
}

func (e *endpoint) acquire(ctx context.Context, stop <-chan struct{}) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-stop:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *endpoint) release() { <-e.sem }

// disabledRecord is the value kept in the endpoints bucket for a channel
// whose endpoint answered 410 Gone.
type disabledRecord struct {
	PostURL string    `json:"post_url"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// failingRecord is kept, under failingPrefix + the channel key, from the
// first failed attempt after a success until the next success: how long a
// channel's endpoint has been failing without a break.
type failingRecord struct {
	PostURL string    `json:"post_url"`
	Since   time.Time `json:"since"`
}

const failingPrefix = "failing."

// Endpoints holds per-endpoint state and the replicated "disabled" flags.
type Endpoints struct {
	breaker        BreakerSettings
	maxConcurrency int
	kv             jetstream.KeyValue
	log            *slog.Logger
	onState        func(key string, to gobreaker.State)

	mu       sync.Mutex
	eps      map[string]*endpoint
	disabled map[string]disabledRecord
	failing  map[string]failingRecord // by channel key
}

// NewEndpoints opens the endpoints bucket; Watch keeps replicas in step.
// Breaker states go to m when it is not nil.
func NewEndpoints(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, b BreakerSettings, maxConcurrency int, m *Metrics, log *slog.Logger) (*Endpoints, error) {
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	kv, err := js.CreateOrUpdateKeyValue(c, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley dispatcher: channels disabled after 410 Gone or continuous failure",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", bucket, err)
	}
	onState := func(string, gobreaker.State) {}
	if m != nil {
		onState = m.breaker
	}
	return &Endpoints{
		breaker: b, maxConcurrency: maxConcurrency, kv: kv, log: log,
		eps: map[string]*endpoint{}, disabled: map[string]disabledRecord{}, failing: map[string]failingRecord{},
		onState: onState,
	}, nil
}

// ChannelKey names a channel in the endpoints bucket and in logs.
func ChannelKey(botID, instanceID string) string {
	return dlq.Token(botID) + "." + dlq.Token(instanceID)
}

// Watch applies bucket changes until ctx is done; it returns once the
// current values are loaded.
func (e *Endpoints) Watch(ctx context.Context) error {
	w, err := e.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch endpoints: %w", err)
	}
	apply := func(ent jetstream.KeyValueEntry) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if key, ok := strings.CutPrefix(ent.Key(), failingPrefix); ok {
			var rec failingRecord
			if ent.Operation() != jetstream.KeyValuePut {
				delete(e.failing, key)
			} else if err := json.Unmarshal(ent.Value(), &rec); err != nil {
				e.log.Warn("unreadable endpoint record", "key", ent.Key(), "err", err)
			} else {
				e.failing[key] = rec
			}
			return
		}
		if ent.Operation() != jetstream.KeyValuePut {
			delete(e.disabled, ent.Key())
			return
		}
		var rec disabledRecord
		if err := json.Unmarshal(ent.Value(), &rec); err != nil {
			e.log.Warn("unreadable endpoint record", "key", ent.Key(), "err", err)
			return
		}
		e.disabled[ent.Key()] = rec
	}
	for ent := range w.Updates() {
		if ent == nil {
			break // initial values loaded
		}
		apply(ent)
	}
	go func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case ent, ok := <-w.Updates():
				if !ok {
					return
				}
				if ent != nil {
					apply(ent)
				}
			}
		}
	}()
	return nil
}

// Disabled reports whether the channel's current POST_URL was disabled. A
// changed URL re-enables the channel: the operator has pointed it elsewhere.
func (e *Endpoints) Disabled(inst registry.Instance) (disabledRecord, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.disabled[ChannelKey(inst.BotID, inst.InstanceID)]
	return rec, ok && rec.PostURL == inst.PostURL
}

// Disable records that the channel's endpoint is gone, for every replica.
func (e *Endpoints) Disable(ctx context.Context, inst registry.Instance, reason string) error {
	key := ChannelKey(inst.BotID, inst.InstanceID)
	rec := disabledRecord{PostURL: inst.PostURL, Reason: reason, At: time.Now().UTC()}
	e.mu.Lock()
	e.disabled[key] = rec
	e.mu.Unlock()
	data, _ := json.Marshal(rec)
	if _, err := e.kv.Put(ctx, key, data); err != nil {
		return fmt.Errorf("record disabled channel %s: %w", key, err)
	}
	return nil
}

// FailingSince records a failed attempt on the channel's endpoint and
// returns when its current run of failures began, as every replica sees it:
// the first replica to fail after a success creates the record, the others
// read it.
func (e *Endpoints) FailingSince(ctx context.Context, inst registry.Instance, now time.Time) (time.Time, error) {
	key := ChannelKey(inst.BotID, inst.InstanceID)
	e.mu.Lock()
	rec, ok := e.failing[key]
	e.mu.Unlock()
	if ok && rec.PostURL == inst.PostURL {
		return rec.Since, nil
	}
	rec = failingRecord{PostURL: inst.PostURL, Since: now.UTC()}
	data, _ := json.Marshal(rec)
	if ok { // a record for an earlier URL: this URL starts afresh
		if _, err := e.kv.Put(ctx, failingPrefix+key, data); err != nil {
			return time.Time{}, fmt.Errorf("record failing channel %s: %w", key, err)
		}
	} else if _, err := e.kv.Create(ctx, failingPrefix+key, data); errors.Is(err, jetstream.ErrKeyExists) {
		ent, err := e.kv.Get(ctx, failingPrefix+key)
		if err != nil {
			return time.Time{}, fmt.Errorf("read failing channel %s: %w", key, err)
		}
		var have failingRecord
		if json.Unmarshal(ent.Value(), &have) == nil && have.PostURL == inst.PostURL {
			rec = have
		}
	} else if err != nil {
		return time.Time{}, fmt.Errorf("record failing channel %s: %w", key, err)
	}
	e.mu.Lock()
	e.failing[key] = rec
	e.mu.Unlock()
	return rec.Since, nil
}

// Recovered ends the channel's run of failures after a success.
func (e *Endpoints) Recovered(ctx context.Context, inst registry.Instance) error {
	key := ChannelKey(inst.BotID, inst.InstanceID)
	e.mu.Lock()
	_, ok := e.failing[key]
	delete(e.failing, key)
	e.mu.Unlock()
	if !ok {
		return nil
	}
	if err := e.kv.Delete(ctx, failingPrefix+key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("clear failing channel %s: %w", key, err)
	}
	return nil
}

// Enable clears a channel's disabled flag; it reports whether one was set.
// The channel's run of failures is forgotten too.
func (e *Endpoints) Enable(ctx context.Context, botID, instanceID string) (bool, error) {
	key := ChannelKey(botID, instanceID)
	if err := e.kv.Purge(ctx, failingPrefix+key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("clear failing channel %s: %w", key, err)
	}
	e.mu.Lock()
	delete(e.failing, key)
	e.mu.Unlock()
	_, err := e.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read channel %s: %w", key, err)
	}
	if err := e.kv.Purge(ctx, key); err != nil {
		return false, fmt.Errorf("enable channel %s: %w", key, err)
	}
	e.mu.Lock()
	delete(e.disabled, key)
	e.mu.Unlock()
	return true, nil
}

// get returns the endpoint of a channel, keyed by channel and URL so that a
// new URL starts with a fresh breaker.
func (e *Endpoints) get(inst registry.Instance) *endpoint {
	key := ChannelKey(inst.BotID, inst.InstanceID) + " " + inst.PostURL
	e.mu.Lock()
	defer e.mu.Unlock()
	if ep, ok := e.eps[key]; ok {
		return ep
	}
	n := e.maxConcurrency
	if inst.MaxConcurrency > 0 {
		n = inst.MaxConcurrency
	}
	ep := &endpoint{key: ChannelKey(inst.BotID, inst.InstanceID), url: inst.PostURL, sem: make(chan struct{}, n)}
	b := e.breaker
	ep.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         ep.key,
		MaxRequests:  1, // one probe in half-open; its success closes the circuit
		Interval:     b.Window,
		BucketPeriod: b.Window / 10,
		Timeout:      b.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= b.MinRequests && float64(c.TotalFailures) >= b.FailureRatio*float64(c.Requests)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errNeutral) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				ep.openUntil.Store(time.Now().Add(b.OpenTimeout).UnixNano())
			}
			e.log.Warn("circuit breaker state changed", "channel", name, "from", from.String(), "to", to.String())
			e.onState(name, to)
		},
	})
	e.eps[key] = ep
	e.onState(ep.key, ep.cb.State()) // closed
	return ep
}

// State returns the breaker state of a channel's endpoint (for tests and
// metrics).
func (e *Endpoints) State(inst registry.Instance) gobreaker.State {
	return e.get(inst).cb.State()
}
