// Package delivery is the dispatcher's core: it turns a Reply from
// PARLEY_OUT into POSTs to the channel's POST_URL and sees each one through
// to a 2xx or the dead-letter stream.
//
// Order and holding. The handler runs inside a partition lane, so a user's
// replies are handled one at a time in stream order, and inside a reply its
// items (messages, form, status) go one at a time. An item being retried
// keeps the lane, so it holds back that user's later items and nobody
// else's. The message stays un-acked while it is held: the handler's own
// attempt loop waits out the schedule, and a tracker calls InProgress on
// every held or queued message every AckWait/3, so JetStream's ack timer
// (AckWait, 1 min by default) never runs for longer than that, however long
// the schedule. If the replica dies, the lease moves, the next owner rewinds
// the partition and the ledger skips what was already delivered.
//
// Once in effect. Before a POST the item's id is looked up in the ledger (a
// KV bucket); after a 2xx it is recorded there; the reply is acked only
// after all its items are delivered or dead-lettered. A POST that has begun
// is not cancelled by shutdown. What remains is the window between the 2xx
// and the ledger write (a crash, or a NATS outage longer than the write's
// retries): the item is then POSTed again with the same webhook-id, which
// receivers use to de-duplicate (Standard Webhooks).
//
// Failure policy (contract §11.2). 2xx delivers. 408, 425, 5xx, timeouts and
// connection errors are retried on the schedule; 429 and 503 are
// backpressure: retried but not counted against the schedule, like an open
// circuit. Retry-After is honoured, clamped to [delay, 2×delay]. 410 disables
// the channel for every replica. Other 3xx/4xx and refused destinations are
// final. A message also gives up once MaxAge has passed since its first
// attempt, so backpressure cannot hold a user forever.
//
// Circuit breaking uses github.com/sony/gobreaker/v2 (rolling window,
// half-open probe); the schedule is an explicit list with proportional
// jitter, a few lines that a backoff library would not simplify.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/consume"
	"github.com/parleyhq/parley/platform/registry"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
	"github.com/parleyhq/parley/services/dispatcher/internal/httpout"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// Dead-letter reasons.
const (
	ReasonExhausted        = "exhausted"
	ReasonFinalStatus      = "final_status"
	ReasonGone             = "endpoint_gone"
	ReasonDisabled         = "endpoint_disabled"
	ReasonRefused          = "destination_refused"
	ReasonExpired          = "expired"
	ReasonInvalid          = "invalid"
	ReasonUnknownChannel   = "unknown_channel"
	ReasonChannelNotServed = "channel_not_serving"
)

var errStopping = errors.New("dispatcher stopping")

// Settings of the engine.
type Settings struct {
	// Schedule is the default delay before each attempt.
	Schedule []time.Duration
	// Jitter is the proportional jitter applied to each delay (0.2: ±20 %).
	Jitter float64
	// MaxAge bounds how long one message is retried, backpressure included.
	MaxAge time.Duration
	// DisableAfter disables a channel whose endpoint has failed every
	// attempt, across messages and replicas, for this long (contract
	// §11.2: 24 h), as a 410 does.
	DisableAfter time.Duration
	// Progress is how often held messages are reported in progress.
	Progress time.Duration
	// Hold bounds how long a queued message is kept alive without being
	// handled (a safety net for lanes of an aborted partition).
	Hold time.Duration
}

// Deps of the engine.
type Deps struct {
	Registry  registry.View
	Client    *httpout.Client
	Ledger    *Ledger
	DLQ       *dlq.Store
	Endpoints *Endpoints
	Metrics   *Metrics
	Logger    *slog.Logger
}

// Engine handles replies.
type Engine struct {
	set  Settings
	deps Deps
	log  *slog.Logger
	stop <-chan struct{}

	// Owned lists the partitions this replica holds; messages of others
	// (a partition aborted after losing its lease) are no longer kept
	// alive, so the new owner gets them at once.
	Owned func() []int

	trackMu sync.Mutex
	tracked map[string]trackedMsg
}

type trackedMsg struct {
	msg       jetstream.Msg
	added     time.Time
	partition int
}

// New builds an engine; stop is closed when the service shuts down.
func New(set Settings, deps Deps, stop <-chan struct{}) *Engine {
	return &Engine{set: set, deps: deps, log: deps.Logger, stop: stop, tracked: map[string]trackedMsg{}}
}

// KeyOf is the partition lane key (the conversation); it also starts
// tracking the message so that it is kept alive while it waits in its lane.
func (e *Engine) KeyOf(m jetstream.Msg) string {
	// <prefix>.parley.out.<partition>.<bot>.<convkey>
	tokens := strings.Split(m.Subject(), ".")
	p := -1
	if len(tokens) >= 3 {
		if n, err := strconv.Atoi(tokens[len(tokens)-3]); err == nil {
			p = n
		}
	}
	e.trackMu.Lock()
	e.tracked[m.Reply()] = trackedMsg{msg: m, added: time.Now(), partition: p}
	e.trackMu.Unlock()
	return tokens[len(tokens)-1]
}

func (e *Engine) untrack(m jetstream.Msg) {
	e.trackMu.Lock()
	delete(e.tracked, m.Reply())
	e.trackMu.Unlock()
}

// KeepAlive reports every message held longer than Progress as in progress,
// until ctx is done.
func (e *Engine) KeepAlive(ctx context.Context) {
	t := time.NewTicker(e.set.Progress)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			owned := map[int]bool{}
			if e.Owned != nil {
				for _, p := range e.Owned() {
					owned[p] = true
				}
			}
			var touch []jetstream.Msg
			e.trackMu.Lock()
			for k, tm := range e.tracked {
				switch age := now.Sub(tm.added); {
				case age > e.set.Hold || (e.Owned != nil && !owned[tm.partition]):
					delete(e.tracked, k)
				case age >= e.set.Progress:
					touch = append(touch, tm.msg)
				}
			}
			e.trackMu.Unlock()
			for _, m := range touch {
				_ = m.InProgress()
			}
		}
	}
}

func (e *Engine) stopping() bool {
	select {
	case <-e.stop:
		return true
	default:
		return false
	}
}

// Handle is the consume.Handler of one reply.
func (e *Engine) Handle(ctx context.Context, msg jetstream.Msg) (err error) {
	defer func() {
		if errors.Is(err, errStopping) {
			// Nothing more can be done before shutdown: wait for the
			// partition to be aborted; the message stays un-acked for the
			// next owner.
			<-ctx.Done()
			err = ctx.Err()
			return
		}
		if err == nil || consume.IsPermanent(err) {
			e.untrack(msg)
		}
	}()
	if e.stopping() {
		return errStopping
	}
	meta, err := msg.Metadata()
	if err != nil {
		return consume.Permanent(fmt.Errorf("reply metadata: %w", err))
	}
	var r eventsv1.Reply
	if err := proto.Unmarshal(msg.Data(), &r); err != nil {
		dl := &dispatcherv1.DeadLetter{
			MessageId: "seq-" + strconv.FormatUint(meta.Sequence.Stream, 10), Reason: ReasonInvalid,
			LastError: err.Error(), Body: msg.Data(), SourceSequence: meta.Sequence.Stream,
			DeadLetteredAt: timestamppb.Now(),
		}
		if _, perr := e.deps.DLQ.Put(ctx, dl); perr != nil {
			return perr
		}
		return consume.Permanent(fmt.Errorf("decode reply at seq %d: %w", meta.Sequence.Stream, err))
	}
	h := msg.Headers()
	inst, ok := e.deps.Registry.Instance(r.GetBotId(), r.GetInstanceId())
	switch {
	case ok && (inst.Mode == registry.ModeSync || r.GetMode() == eventsv1.Mode_MODE_SYNC):
		// Contract §11.29: a sync channel cannot take pushed output.
		e.deps.Metrics.skipped.Add(ctx, int64(max(len(r.GetMessages()), 1)), channelAttrs(r.GetBotId(), r.GetInstanceId(), attribute.String("reason", "sync_channel")))
		e.log.DebugContext(ctx, "reply for a sync channel dropped", "bot_id", r.GetBotId(), "instance_id", r.GetInstanceId(), "turn_id", r.GetTurnId())
		return nil
	}
	items, err := BuildItems(&r, h.Get(bus.HeaderDeliverParts))
	if err != nil {
		return consume.Permanent(err)
	}
	j := &job{
		e: e, reply: &r, inst: inst, seq: meta.Sequence.Stream,
		replay: h.Get(bus.HeaderReplay) != "",
	}
	if !ok {
		j.inst = registry.Instance{BotID: r.GetBotId(), InstanceID: r.GetInstanceId()}
		j.fixedReason, j.fixedError = ReasonUnknownChannel, "no such webhook instance in the registry"
	} else if !inst.Serving() {
		j.fixedReason, j.fixedError = ReasonChannelNotServed, "the webhook instance is disabled or not approved"
	}
	for _, it := range items {
		if err := j.deliver(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// job is one reply being delivered.
type job struct {
	e      *Engine
	reply  *eventsv1.Reply
	inst   registry.Instance
	seq    uint64
	replay bool
	// fixedReason dead-letters every item without a POST.
	fixedReason, fixedError string
}

type outcome int

const (
	outDelivered outcome = iota
	outRetry
	outBackpressure
	outFinal
	outGone
	outRefused
)

func classify(r httpout.Result) outcome {
	if r.Err != nil {
		if httpout.Refused(r.Err) {
			return outRefused
		}
		return outRetry
	}
	switch s := r.Status; {
	case s >= 200 && s < 300:
		return outDelivered
	case s == http.StatusGone:
		return outGone
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		return outBackpressure
	case s == http.StatusRequestTimeout || s == http.StatusTooEarly || s >= 500:
		return outRetry
	}
	return outFinal
}

// breakerErr is what the breaker is told about an outcome.
func breakerErr(o outcome, r httpout.Result) error {
	switch {
	case o == outRefused || r.Status == http.StatusTooManyRequests:
		return errNeutral
	case o == outRetry || r.Status >= 500:
		return errors.New("endpoint failure")
	}
	return nil
}

func (j *job) schedule() []time.Duration {
	if len(j.inst.RetrySchedule) > 0 {
		return j.inst.RetrySchedule
	}
	return j.e.set.Schedule
}

func (j *job) jitter(d time.Duration) time.Duration {
	f := j.e.set.Jitter
	if d <= 0 || f <= 0 {
		return max(d, 0)
	}
	// Proportional: d·(1±f). Computed in float64 so large delays cannot
	// overflow.
	return time.Duration(float64(d) * (1 + f*(2*rand.Float64()-1)))
}

// sleep waits d unless the service stops first.
func (j *job) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-j.e.stop:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliver sees one item to a 2xx or the DLQ. It returns an error only when
// the outcome cannot be recorded (then the whole reply is retried) or when
// the service stops.
func (j *job) deliver(ctx context.Context, it Item) error {
	e := j.e
	st, err := e.deps.Ledger.Get(ctx, it.ID)
	if err != nil {
		return err
	}
	if st == Delivered || (st == DeadLettered && !j.replay) {
		e.deps.Metrics.skipped.Add(ctx, 1, channelAttrs(j.inst.BotID, j.inst.InstanceID, attribute.String("reason", "already_done")))
		return nil
	}
	if j.fixedReason != "" {
		return j.deadLetter(ctx, it, j.fixedReason, j.fixedError, 0, nil)
	}
	d := &itemDelivery{
		it:    it,
		ep:    e.deps.Endpoints.get(j.inst),
		sched: j.schedule(),
		attrs: channelAttrs(j.inst.BotID, j.inst.InstanceID),
	}
	d.delay = j.jitter(d.sched[0])
	for {
		if err := j.sleep(ctx, d.delay); err != nil {
			return err
		}
		if finished, err := j.attempt(ctx, d); finished {
			return err
		}
	}
}

// itemDelivery is the state of one item's attempts: the attempts made so
// far, how many of them count against the retry schedule, when the first
// was made, and the wait before the next.
type itemDelivery struct {
	it      Item
	ep      *endpoint
	sched   []time.Duration
	attrs   metric.MeasurementOption
	hist    []*dispatcherv1.Attempt
	counted int
	first   time.Time
	delay   time.Duration
}

// attempt makes one attempt at d's item, unless the channel is disabled or
// the item too old. It reports whether the item is finished (delivered,
// dead-lettered, or failed with err); otherwise d.delay is the wait before
// the next attempt.
func (j *job) attempt(ctx context.Context, d *itemDelivery) (bool, error) {
	e := j.e
	m := e.deps.Metrics
	if rec, off := e.deps.Endpoints.Disabled(j.inst); off {
		return true, j.deadLetter(ctx, d.it, ReasonDisabled, "channel disabled: "+rec.Reason, 0, d.hist)
	}
	now := time.Now()
	if d.first.IsZero() {
		d.first = now
	} else if now.Sub(d.first) > e.set.MaxAge {
		return true, j.deadLetter(ctx, d.it, ReasonExpired, lastError(d.hist), lastStatus(d.hist), d.hist)
	}
	done, err := d.ep.cb.Allow()
	if err != nil {
		// Open circuit: backpressure, the attempt is not spent.
		d.hist = appendAttempt(d.hist, now, 0, 0, "circuit open", false)
		m.retried.Add(ctx, 1, d.attrs)
		d.delay = j.openWait(d.ep, err)
		return false, nil
	}
	if err := d.ep.acquire(ctx, e.stop); err != nil {
		done(errNeutral)
		return true, err
	}
	res := j.post(ctx, d.it)
	d.ep.release()
	o := classify(res)
	done(breakerErr(o, res))
	m.attemptDur.Record(ctx, seconds(res.Duration), d.attrs)
	errText := attemptError(o, res)
	d.hist = appendAttempt(d.hist, now, res.Duration, res.Status, errText, o != outBackpressure)
	if o != outDelivered {
		m.failed.Add(ctx, 1, d.attrs)
	}
	// A failed attempt (a 503 among backpressure) extends the channel's
	// run of failures; past Settings.DisableAfter it disables it.
	if o == outRetry || (o == outBackpressure && res.Status == http.StatusServiceUnavailable) {
		if off, err := j.failedTooLong(ctx, now); err != nil {
			return true, err
		} else if off {
			return true, j.deadLetter(ctx, d.it, ReasonDisabled, "channel disabled after continuous failure: "+errText, res.Status, d.hist)
		}
	}
	return j.settle(ctx, d, o, res, errText)
}

// attemptError is how a failed attempt is described; "" for a delivery.
func attemptError(o outcome, res httpout.Result) string {
	if res.Err != nil {
		return res.Err.Error()
	} else if o != outDelivered {
		return fmt.Sprintf("HTTP %d: %s", res.Status, res.Snippet)
	}
	return ""
}

// settle acts on the outcome o of an attempt: it records a delivery,
// dead-letters the item, or sets d.delay for a retry. It reports whether
// the item is finished, as attempt does.
func (j *job) settle(ctx context.Context, d *itemDelivery, o outcome, res httpout.Result, errText string) (bool, error) {
	e := j.e
	m := e.deps.Metrics
	switch o {
	case outDelivered:
		return true, j.delivered(ctx, d)
	case outGone:
		e.log.ErrorContext(ctx, "endpoint answered 410 Gone: channel disabled; later messages go to the DLQ until it is re-enabled",
			"bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "post_url", j.inst.PostURL, "webhook_id", d.it.ID)
		if err := e.deps.Endpoints.Disable(ctx, j.inst, "410 Gone from "+j.inst.PostURL); err != nil {
			return true, err
		}
		return true, j.deadLetter(ctx, d.it, ReasonGone, errText, res.Status, d.hist)
	case outFinal:
		return true, j.deadLetter(ctx, d.it, ReasonFinalStatus, errText, res.Status, d.hist)
	case outRefused:
		return true, j.deadLetter(ctx, d.it, ReasonRefused, errText, 0, d.hist)
	case outRetry:
		d.counted++
		if d.counted >= len(d.sched) {
			return true, j.deadLetter(ctx, d.it, ReasonExhausted, errText, res.Status, d.hist)
		}
		d.delay = j.retryDelay(d.sched[d.counted], res)
	case outBackpressure:
		d.delay = j.retryDelay(d.sched[min(max(d.counted, 1), len(d.sched)-1)], res)
	}
	m.retried.Add(ctx, 1, d.attrs)
	e.log.DebugContext(ctx, "delivery attempt failed", "bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID,
		"webhook_id", d.it.ID, "attempt", len(d.hist), "status", res.Status, "err", errText, "retry_in", d.delay)
	return false, nil
}

// delivered records a delivered item: metrics, the channel's recovery and
// the ledger.
func (j *job) delivered(ctx context.Context, d *itemDelivery) error {
	e := j.e
	m := e.deps.Metrics
	e.log.DebugContext(ctx, "delivered", "bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "webhook_id", d.it.ID, "attempts", len(d.hist), "seq", j.seq)
	m.delivered.Add(ctx, 1, d.attrs)
	if p := j.reply.GetProducedAt(); p != nil {
		m.latency.Record(ctx, seconds(time.Since(p.AsTime())), d.attrs)
	}
	if err := e.deps.Endpoints.Recovered(ctx, j.inst); err != nil {
		e.log.WarnContext(ctx, "could not clear the channel's failure record", "bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "err", err)
	}
	return j.record(ctx, d.it)
}

// failedTooLong records a failed attempt and, once the channel's endpoint
// has failed without a success for Settings.DisableAfter, disables the
// channel for every replica and reports true. A 503 counts; a 429 and an
// open circuit do not (the endpoint is answering, or was not asked).
func (j *job) failedTooLong(ctx context.Context, now time.Time) (bool, error) {
	e := j.e
	if e.set.DisableAfter <= 0 {
		return false, nil
	}
	since, err := e.deps.Endpoints.FailingSince(ctx, j.inst, now)
	if err != nil {
		e.log.WarnContext(ctx, "could not record the channel's failure", "bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "err", err)
		return false, nil
	}
	if now.Sub(since) < e.set.DisableAfter {
		return false, nil
	}
	reason := fmt.Sprintf("every attempt failed since %s (%s)", since.Format(time.RFC3339), e.set.DisableAfter)
	e.log.ErrorContext(ctx, "endpoint failing continuously: channel disabled; later messages go to the DLQ until it is re-enabled",
		"bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "post_url", j.inst.PostURL, "failing_since", since)
	if err := e.deps.Endpoints.Disable(ctx, j.inst, reason); err != nil {
		return false, err
	}
	return true, nil
}

// retryDelay is the scheduled delay with jitter, or Retry-After clamped to
// [scheduled, 2×scheduled] (contract §11.2).
func (j *job) retryDelay(sched time.Duration, res httpout.Result) time.Duration {
	d := j.jitter(sched)
	if ra, ok := httpout.ParseRetryAfter(res.RetryAfter, time.Now()); ok {
		d = min(max(ra, sched), 2*sched)
	}
	return d
}

// openWait is how long to wait before asking an open (or probing) circuit
// again.
func (j *job) openWait(ep *endpoint, err error) time.Duration {
	if errors.Is(err, gobreaker.ErrOpenState) {
		if left := time.Until(time.Unix(0, ep.openUntil.Load())); left > 0 {
			return left + j.jitter(left/10) + time.Millisecond
		}
	}
	// Half-open with the probe in flight: check back soon.
	return j.jitter(min(max(j.e.deps.Endpoints.breaker.OpenTimeout/20, 5*time.Millisecond), time.Second))
}

func (j *job) post(ctx context.Context, it Item) httpout.Result {
	m := j.e.deps.Metrics
	attrs := channelAttrs(j.inst.BotID, j.inst.InstanceID)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Parley-Dispatcher/1")
	if j.inst.AccessToken != "" {
		h.Set("Authorization", "Bearer "+j.inst.AccessToken)
	}
	now := time.Now()
	h.Set(webhooksig.HeaderID, it.ID)
	h.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if len(j.inst.SigningSecrets) > 0 {
		h.Set(webhooksig.HeaderSignature, webhooksig.SignAll(j.inst.SigningSecrets, it.ID, now, it.Body))
	}
	// No traceparent here: ctx carries the reply's trace (consume.Traced)
	// and the client's transport injects it.
	m.inFlight.Add(ctx, 1, attrs)
	defer m.inFlight.Add(ctx, -1, attrs)
	return j.e.deps.Client.Post(ctx, j.inst.PostURL, h, it.Body)
}

// record writes the 2xx to the ledger, retrying briefly: a lost record means
// a duplicate POST when the reply is redelivered.
func (j *job) record(ctx context.Context, it Item) error {
	var err error
	for i := range 5 {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = j.e.deps.Ledger.MarkDelivered(c, it.ID)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-time.After(time.Duration(50<<i) * time.Millisecond):
		case <-ctx.Done():
		}
	}
	j.e.log.ErrorContext(ctx, "delivered but not recorded; the message may be POSTed again with the same webhook-id",
		"bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID, "webhook_id", it.ID, "err", err)
	return err
}

func (j *job) deadLetter(ctx context.Context, it Item, reason, lastErr string, status int, hist []*dispatcherv1.Attempt) error {
	e := j.e
	dl := &dispatcherv1.DeadLetter{
		MessageId: it.ID, BotId: j.inst.BotID, InstanceId: j.inst.InstanceID,
		ConversationKey: j.reply.GetConversationKey(), FromId: j.reply.GetFromId(), TurnId: j.reply.GetTurnId(),
		Kind: it.Kind, MessageIndex: int32(it.Index), Body: it.Body, Reason: reason, LastError: lastErr,
		LastStatusCode: int32(status), Attempts: hist, DeadLetteredAt: timestamppb.Now(),
		Reply: j.reply, SourceSequence: j.seq, PostUrl: j.inst.PostURL,
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	seq, err := e.deps.DLQ.Put(c, dl)
	if err != nil {
		return err
	}
	if err := e.deps.Ledger.MarkDeadLettered(c, it.ID, seq); err != nil {
		return err
	}
	e.deps.Metrics.deadLettered.Add(ctx, 1, channelAttrs(j.inst.BotID, j.inst.InstanceID, attribute.String("reason", reason)))
	e.log.WarnContext(ctx, "message dead-lettered", "bot_id", j.inst.BotID, "instance_id", j.inst.InstanceID,
		"webhook_id", it.ID, "reason", reason, "attempts", len(hist), "err", lastErr, "dlq_seq", seq)
	return nil
}

func appendAttempt(h []*dispatcherv1.Attempt, at time.Time, d time.Duration, status int, errText string, counted bool) []*dispatcherv1.Attempt {
	const keep = 50 // bound the history of a message stuck behind backpressure
	a := &dispatcherv1.Attempt{
		Number: int32(len(h) + 1), StartedAt: timestamppb.New(at), Duration: durationpb.New(d),
		StatusCode: int32(status), Error: truncate(errText, 512), Counted: counted,
	}
	if len(h) >= keep {
		a.Number = h[len(h)-1].Number + 1
		h = append(h[:keep/2], h[keep/2+1:]...)
	}
	return append(h, a)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func lastError(h []*dispatcherv1.Attempt) string {
	if len(h) == 0 {
		return ""
	}
	return h[len(h)-1].GetError()
}

func lastStatus(h []*dispatcherv1.Attempt) int {
	if len(h) == 0 {
		return 0
	}
	return int(h[len(h)-1].GetStatusCode())
}
