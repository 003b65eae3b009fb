package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/ingress/internal/polls"
)

const msgNoData = "No data found"

// waitOrPoll answers a V2 synchronous turn: with its reply if it comes
// within the budget, else with a poll id (contract §4.3, §11.20); the reply
// that comes later is kept for GET …/poll/{pollId}.
func (h *Handler) waitOrPoll(ctx context.Context, w http.ResponseWriter, v apiVersion, inst registry.Instance, turn *eventsv1.Turn,
	waiter Waiter, timeout time.Duration, now time.Time, idem *idemClaim) {
	type result struct {
		reply *eventsv1.Reply
		err   error
	}
	done := make(chan result, 1)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), polls.TTL)
	go func() {
		defer cancel()
		r, err := waiter.Wait(bg)
		done <- result{r, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		status, body := h.answer(ctx, v, inst, turn, res.reply, res.err)
		h.tel.recordSync(ctx, now, "replied")
		idem.finish(ctx, status, body)
		writeBody(w, status, body)
		return
	case <-timer.C:
	}
	id := newPollID()
	rec := polls.Record{App: turn.AppId, Bot: inst.BotID, Instance: inst.InstanceID, FromID: turn.FromId, Subject: turn.TokenSubject}
	if err := h.polls.Put(ctx, id, rec); err != nil {
		h.log.ErrorContext(ctx, "poll not stored; answering 504", "bot_id", inst.BotID, "turn_id", turn.TurnId, "err", err)
		body := v.errorJSON(ctx, http.StatusGatewayTimeout, msgTimedOut)
		idem.finish(ctx, http.StatusGatewayTimeout, body)
		writeBody(w, http.StatusGatewayTimeout, body)
		return
	}
	h.tel.recordSync(ctx, now, "poll")
	body, _ := json.Marshal(struct {
		Data   []any  `json:"data"`
		V      string `json:"_v"`
		PollID string `json:"pollId"`
	}{[]any{}, "v2", id})
	idem.finish(ctx, http.StatusOK, body)
	writeBody(w, http.StatusOK, body)

	// The answer, when it comes, waits for the poll.
	go func() {
		res := <-done
		bctx := context.WithoutCancel(ctx)
		rec.Done = true
		rec.Status, rec.Body = h.answer(bctx, v, inst, turn, res.reply, res.err)
		if err := h.polls.Put(bctx, id, rec); err != nil {
			h.log.ErrorContext(bctx, "poll answer not stored", "bot_id", inst.BotID, "turn_id", turn.TurnId, "err", err)
		}
	}()
}

// answer is the HTTP answer to a synchronous turn: its reply in the
// version's shape, or 504 when none came.
func (h *Handler) answer(ctx context.Context, v apiVersion, inst registry.Instance, turn *eventsv1.Turn, reply *eventsv1.Reply, err error) (int, []byte) {
	if err != nil {
		return http.StatusGatewayTimeout, v.errorJSON(ctx, http.StatusGatewayTimeout, msgTimedOut)
	}
	body, err := json.Marshal(v.encode(inst, turn, reply))
	if err != nil {
		h.log.ErrorContext(ctx, "encode sync reply", "bot_id", inst.BotID, "turn_id", turn.TurnId, "err", err)
		return http.StatusInternalServerError, v.errorJSON(ctx, http.StatusInternalServerError, msgInternal)
	}
	return http.StatusOK, body
}

func newPollID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validPollID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// poll serves GET …/poll/{pollId}: "Inprogress" while the turn runs, then
// the answer once; after that, and for an unknown id or one of another
// app, bot, instance or user, 400 "No data found" (contract §4.3, §11.21).
func (h *Handler) poll(v apiVersion) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		fail := refuser(ctx, w, v)
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			fail(http.StatusMethodNotAllowed, "Method not allowed: poll with GET")
			return
		}
		inst, ok := h.reg.Instance(r.PathValue("botId"), r.PathValue("instanceId"))
		if !ok {
			fail(http.StatusNotFound, msgBotNotFound)
			return
		}
		id, ok := h.verify(r, inst, fail)
		if !ok {
			return
		}
		pollID := r.PathValue("pollId")
		if h.polls == nil || !validPollID(pollID) {
			fail(http.StatusBadRequest, msgNoData)
			return
		}
		who := polls.Requester{App: id.AppID, Bot: inst.BotID, Instance: inst.InstanceID, UserIdentity: id.UserIdentity, Subject: id.Subject}
		rec, found, err := h.polls.Take(ctx, pollID, who)
		if err != nil {
			h.log.ErrorContext(ctx, "poll store unavailable", "err", err)
			fail(http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		if !found {
			fail(http.StatusBadRequest, msgNoData)
			return
		}
		if !rec.Done {
			body, _ := json.Marshal(struct {
				Status string `json:"status"`
				PollID string `json:"pollId"`
				V      string `json:"_v"`
			}{"Inprogress", pollID, "v2"})
			writeBody(w, http.StatusOK, body)
			return
		}
		writeBody(w, rec.Status, rec.Body)
	}
}
