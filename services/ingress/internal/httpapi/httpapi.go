// Package httpapi serves the Kore-compatible webhook endpoints.
//
// Each request is checked in a fixed order, so that the first problem is the
// one reported: method (405), route and bot/instance (404), token (401),
// channel state (403), content type (415), size (413), payload (400), rate
// (429), Idempotency-Key (400 malformed, 409 in flight, 422 reused, or the
// first answer replayed). An accepted turn is stored in JetStream before
// any 2xx is sent. A store or the bus failing on the way (Redis failing
// over, NATS reconnecting) is 503 with Retry-After, never 500.
//
// Routes are tables of (path, version): V1 and V2 share the checks and
// differ in their response, acknowledgement and error envelopes (contract
// §4, §5, §8); V2 adds polling for turns over the budget (poll.go).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/idempotency"
	"github.com/parleyhq/parley/services/ingress/internal/payload"
	"github.com/parleyhq/parley/services/ingress/internal/polls"
)

// Verifier checks a request's token for an instance.
type Verifier interface {
	Verify(ctx context.Context, authorization string, inst registry.Instance) (auth.Identity, error)
}

// Waiter is a synchronous reply being awaited.
type Waiter interface {
	Wait(ctx context.Context) (*eventsv1.Reply, error)
	Cancel()
}

// Publisher stores a turn durably; for a synchronous turn it returns the
// reply waiter.
type Publisher interface {
	Publish(ctx context.Context, turn *eventsv1.Turn, deadline time.Time) (Waiter, error)
}

// IdempotencyStore remembers requests sent with an Idempotency-Key header
// (contract §11.27); see package idempotency.
type IdempotencyStore interface {
	Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Record, bool, error)
	Finish(ctx context.Context, key string, rec idempotency.Record) error
	Release(ctx context.Context, key string) error
}

// PollStore keeps V2 answers that outlived the sync budget; see package
// polls.
type PollStore interface {
	Put(ctx context.Context, id string, rec polls.Record) error
	Take(ctx context.Context, id string, who polls.Requester) (polls.Record, bool, error)
}

// Limits of the webhook.
type Limits struct {
	MaxBodyBytes int64
	MaxTextChars int
	SyncTimeout  time.Duration
	Rate         RateLimits
}

// Handler serves the webhook.
type Handler struct {
	reg      registry.View
	verifier Verifier
	pub      Publisher
	lim      Limits
	log      *slog.Logger
	now      func() time.Time
	instLim  *limiter
	userLim  *limiter
	mux      *http.ServeMux
	tel      *telemetry
	idem     IdempotencyStore
	polls    PollStore
}

// New returns the webhook handler. mp may be nil (no metrics); idem nil
// ignores Idempotency-Key headers; pollStore nil turns V2 polling off, so a
// V2 turn over the budget gets 504 as on V1 (contract §4.3).
func New(reg registry.View, v Verifier, pub Publisher, idem IdempotencyStore, pollStore PollStore, lim Limits, log *slog.Logger, mp metric.MeterProvider) (*Handler, error) {
	tel, err := newTelemetry(mp)
	if err != nil {
		return nil, fmt.Errorf("webhook metrics: %w", err)
	}
	h := &Handler{
		tel: tel,
		reg: reg, verifier: v, pub: pub, lim: lim, log: log, now: time.Now,
		instLim: newLimiter(lim.Rate.PerInstance, lim.Rate.PerInstanceBurst),
		userLim: newLimiter(lim.Rate.PerUser, lim.Rate.PerUserBurst),
		mux:     http.NewServeMux(),
		idem:    idem,
		polls:   pollStore,
	}
	v1 := apiVersion{name: "v1", encode: encodeV1, errorJSON: errorJSONV1, ack: ackV1}
	h.mux.HandleFunc("/chatbot/hooks/{botId}", h.route(v1))
	h.mux.HandleFunc("/chatbot/hooks/{botId}/hookInstance/{instanceId}", h.route(v1))
	v2 := apiVersion{name: "v2", encode: encodeV2, errorJSON: errorJSONV2, ack: ackV2}
	h.mux.HandleFunc("/chatbot/v2/webhook/{botId}", h.route(v2))
	h.mux.HandleFunc("/chatbot/v2/webhook/{botId}/hookInstance/{instanceId}", h.route(v2))
	h.mux.HandleFunc("/chatbot/v2/webhook/{botId}/poll/{pollId}", h.poll(v2))
	h.mux.HandleFunc("/chatbot/v2/webhook/{botId}/hookInstance/{instanceId}/poll/{pollId}", h.poll(v2))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, msgRouteNotFound)
	})
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	defer h.countRefusal(r.Context(), w)
	defer h.recoverPanic(r.Context(), w)
	h.mux.ServeHTTP(w, r)
}

// countRefusal counts the request if the status it got is a refusal; it
// runs deferred, once the status is known.
func (h *Handler) countRefusal(ctx context.Context, w *statusWriter) {
	h.tel.recordRefusal(ctx, w.status)
}

// recoverPanic turns a panic of the handler into a 500; it must be deferred
// directly, for recover to see the panic.
func (h *Handler) recoverPanic(ctx context.Context, w *statusWriter) {
	if p := recover(); p != nil {
		h.log.ErrorContext(ctx, "panic in webhook handler", "panic", fmt.Sprint(p))
		writeError(w, http.StatusInternalServerError, msgInternal)
	}
}

// apiVersion is what differs between webhook versions.
type apiVersion struct {
	name string
	// encode turns a synchronous reply into the version's response body.
	encode func(inst registry.Instance, turn *eventsv1.Turn, r *eventsv1.Reply) any
	// errorJSON is a refusal in the version's envelope.
	errorJSON func(ctx context.Context, status int, msg string) []byte
	// ack is the body of an asynchronous acknowledgement.
	ack func(ctx context.Context) []byte
}

func (h *Handler) route(v apiVersion) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeBody(w, http.StatusMethodNotAllowed, v.errorJSON(r.Context(), http.StatusMethodNotAllowed, msgMethod))
			return
		}
		h.serve(w, r, v)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, v apiVersion) {
	ctx := r.Context()
	fail := refuser(ctx, w, v)
	botID, instanceID := r.PathValue("botId"), r.PathValue("instanceId")
	inst, ok := h.reg.Instance(botID, instanceID)
	if !ok {
		h.tel.received.Add(ctx, 1, modeAttr("unknown"))
		fail(http.StatusNotFound, msgBotNotFound)
		return
	}
	h.tel.received.Add(ctx, 1, modeAttr(string(inst.Mode)))
	id, ok := h.verify(r, inst, fail)
	if !ok {
		return
	}
	if !inst.Serving() {
		fail(http.StatusForbidden, msgNotEnabled)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(http.StatusUnsupportedMediaType, msgMediaType)
		return
	}
	if r.ContentLength > h.lim.MaxBodyBytes {
		fail(http.StatusRequestEntityTooLarge, fmt.Sprintf(msgTooLarge, h.lim.MaxBodyBytes))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.lim.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf(msgTooLarge, h.lim.MaxBodyBytes))
			return
		}
		fail(http.StatusBadRequest, "Invalid Request Payload: the body could not be read")
		return
	}
	turn, err := payload.Decode(raw, payload.Limits{MaxTextChars: h.lim.MaxTextChars})
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	now := h.now()
	instKey := botID + "/" + instanceID
	if ok, wait := h.instLim.allow(instKey, now); !ok {
		tooMany(w, wait, fail)
		return
	}
	if ok, wait := h.userLim.allow(instKey+"/"+turn.FromId, now); !ok {
		tooMany(w, wait, fail)
		return
	}

	h.fill(turn, inst, id, v.name, now)
	timeout := h.lim.SyncTimeout
	if inst.SyncTimeout > 0 {
		timeout = inst.SyncTimeout
	}
	if v.name == "v2" && id.UserIdentity != "" && id.UserIdentity != turn.FromId {
		fail(http.StatusUnauthorized, msgInvalidToken) // contract §2.4
		return
	}
	idem, done := h.claimIdempotencyKey(w, r, instKey, turn, raw, timeout, fail)
	if done {
		return
	}
	// With V2 polling the dialog may answer after the budget, until the
	// poll id expires: that is the reply's deadline. A poll is bound to the
	// token's user, so a token that names none (no sub, no userIdentity)
	// gets the budget alone, as with polling off.
	polling := v.name == "v2" && h.polls != nil && turn.Mode == eventsv1.Mode_MODE_SYNC && polls.Pollable(id.UserIdentity, id.Subject)
	deadline := now.Add(timeout)
	if polling {
		deadline = now.Add(polls.TTL)
	}
	waiter, err := h.pub.Publish(ctx, turn, deadline)
	if err != nil {
		h.log.ErrorContext(ctx, "turn not accepted", "bot_id", botID, "turn_id", turn.TurnId, "err", err)
		idem.release(ctx)
		fail(http.StatusServiceUnavailable, msgUnavailable)
		return
	}
	h.tel.accepted.Add(ctx, 1, modeAttr(string(inst.Mode)))
	if turn.Mode == eventsv1.Mode_MODE_ASYNC {
		ack := v.ack(ctx)
		idem.finish(ctx, http.StatusOK, ack)
		writeBody(w, http.StatusOK, ack)
		return
	}
	if polling {
		h.waitOrPoll(ctx, w, v, inst, turn, waiter, timeout, now, idem)
		return
	}
	// With an Idempotency-Key the reply is awaited even if the caller goes
	// away: its retry is to get that reply, not start a second turn.
	waitCtx := ctx
	if idem != nil {
		waitCtx = context.WithoutCancel(ctx)
	}
	wctx, cancel := context.WithTimeout(waitCtx, timeout)
	defer cancel()
	reply, err := waiter.Wait(wctx)
	if err != nil {
		if ctx.Err() != nil && idem == nil {
			h.tel.recordSync(ctx, now, "abandoned")
			return // the caller went away; the turn still completes
		}
		h.log.WarnContext(ctx, "sync reply timed out", "bot_id", botID, "turn_id", turn.TurnId, "timeout", timeout)
		h.tel.recordSync(ctx, now, "timeout")
		body := v.errorJSON(ctx, http.StatusGatewayTimeout, msgTimedOut)
		idem.finish(ctx, http.StatusGatewayTimeout, body)
		writeBody(w, http.StatusGatewayTimeout, body)
		return
	}
	h.tel.recordSync(ctx, now, "replied")
	body, err := json.Marshal(v.encode(inst, turn, reply))
	if err != nil {
		h.log.ErrorContext(ctx, "encode sync reply", "bot_id", botID, "turn_id", turn.TurnId, "err", err)
		body = v.errorJSON(ctx, http.StatusInternalServerError, msgInternal)
		idem.finish(ctx, http.StatusInternalServerError, body)
		writeBody(w, http.StatusInternalServerError, body)
		return
	}
	idem.finish(ctx, http.StatusOK, body)
	writeBody(w, http.StatusOK, body)
}

// verify checks the request's token for inst; on failure it answers (401,
// or 503 when the check itself failed) and reports false.
func (h *Handler) verify(r *http.Request, inst registry.Instance, fail func(int, string)) (auth.Identity, bool) {
	id, err := h.verifier.Verify(r.Context(), r.Header.Get("Authorization"), inst)
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			fail(http.StatusUnauthorized, ae.Msg)
			return auth.Identity{}, false
		}
		h.log.ErrorContext(r.Context(), "token verification failed", "bot_id", inst.BotID, "err", err)
		fail(http.StatusServiceUnavailable, msgUnavailable)
		return auth.Identity{}, false
	}
	return id, true
}

func (h *Handler) fill(turn *eventsv1.Turn, inst registry.Instance, id auth.Identity, version string, now time.Time) {
	turn.TurnId = uuid.Must(uuid.NewV7()).String()
	turn.BotId = inst.BotID
	turn.InstanceId = inst.InstanceID
	turn.AppId = id.AppID
	turn.UserId = id.AppID + "/" + turn.FromId
	turn.TokenSubject = id.Subject
	turn.ConversationKey = bus.ConversationKey(inst.BotID, turn.UserId)
	turn.ReceivedAt = timestamppb.New(now)
	turn.ApiVersion = version
	turn.Mode = eventsv1.Mode_MODE_SYNC
	if inst.Mode == registry.ModeAsync {
		turn.Mode = eventsv1.Mode_MODE_ASYNC
	}
	if id.PrivateClaims != nil {
		turn.PrivateClaims, _ = structpb.NewStruct(id.PrivateClaims)
	}
}

// refuser returns the writer of a request's refusals, in the version's
// envelope. A 503 always carries Retry-After: it means "not now", never
// "this request is wrong", and is what any store or bus failure on the
// request path maps to (never a 500).
func refuser(ctx context.Context, w http.ResponseWriter, v apiVersion) func(status int, msg string) {
	return func(status int, msg string) {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfterUnavailable)
		}
		writeBody(w, status, v.errorJSON(ctx, status, msg))
	}
}

func tooMany(w http.ResponseWriter, wait time.Duration, fail func(int, string)) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	fail(http.StatusTooManyRequests, msgTooMany)
}

// v1Response is Kore's V1 synchronous response. text is always an array
// (contract §11.6); the task fields are omitted when no task has ended in
// the session (§11.10).
type v1Response struct {
	Text              []any   `json:"text"`
	EndOfTask         bool    `json:"endOfTask"`
	EndReason         string  `json:"endReason,omitempty"`
	CompletedTaskID   string  `json:"completedTaskId,omitempty"`
	CompletedTaskName string  `json:"completedTaskName,omitempty"`
	Form              *v1Form `json:"form,omitempty"`
}

type v1Form struct {
	FormDef            map[string]any `json:"formDef"`
	FormInitialization map[string]any `json:"formInitialization,omitempty"`
}

func encodeV1(_ registry.Instance, _ *eventsv1.Turn, r *eventsv1.Reply) any {
	out := v1Response{
		Text:              make([]any, 0, len(r.Messages)),
		EndOfTask:         r.EndOfTask,
		EndReason:         r.EndReason,
		CompletedTaskID:   r.CompletedTaskId,
		CompletedTaskName: r.CompletedTaskName,
	}
	for _, m := range r.Messages {
		if t := m.GetTemplate(); t != nil {
			out.Text = append(out.Text, t.AsMap())
		} else {
			out.Text = append(out.Text, m.GetText())
		}
	}
	if r.Form != nil {
		out.Form = &v1Form{FormDef: r.Form.FormDef.AsMap()}
		if r.Form.FormInitialization != nil {
			out.Form.FormInitialization = r.Form.FormInitialization.AsMap()
		}
	}
	return out
}
