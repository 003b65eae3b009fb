package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/google/uuid"

	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/ingress/internal/idempotency"
)

// HeaderIdempotencyKey lets a client retry a POST without a second turn
// (contract §11.27, an extension of Kore's webhook).
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderIdempotentReplay marks an answer repeated from the first request.
const HeaderIdempotentReplay = "Idempotent-Replayed"

// leaseMargin is how much longer than the sync budget a claim is held: the
// time to publish and to encode the answer.
const leaseMargin = 30 * time.Second

// idemClaim is a claimed key whose answer is to be remembered; nil when the
// request has no Idempotency-Key, and then its methods do nothing.
type idemClaim struct {
	h           *Handler
	key         string
	fingerprint string
}

// claimIdempotencyKey handles the Idempotency-Key header. A new key is
// claimed and the turn gets an id derived from it, which is also its
// Nats-Msg-Id, so JetStream's duplicate window backs the store up. A known
// key is answered here, and done is true: the first request's answer again,
// 409 while that request is still running, 422 if the key came with
// another body.
func (h *Handler) claimIdempotencyKey(w http.ResponseWriter, r *http.Request, instKey string, turn *eventsv1.Turn, raw []byte, timeout time.Duration, fail func(int, string)) (claim *idemClaim, done bool) {
	header := r.Header.Get(HeaderIdempotencyKey)
	if h.idem == nil || header == "" {
		return nil, false
	}
	if !validIdempotencyKey(header) {
		fail(http.StatusBadRequest, msgIdemKey)
		return nil, true
	}
	ctx := r.Context()
	key := idempotency.Key(instKey, turn.FromId, header)
	sum := sha256.Sum256(raw)
	fingerprint := hex.EncodeToString(sum[:])
	rec, claimed, err := h.idem.Claim(ctx, key, fingerprint, timeout+leaseMargin)
	if err != nil {
		h.log.ErrorContext(ctx, "idempotency store unavailable", "bot_id", turn.BotId, "err", err)
		fail(http.StatusServiceUnavailable, msgUnavailable)
		return nil, true
	}
	switch {
	case claimed:
		turn.TurnId = uuid.NewSHA1(idempotencyNamespace, []byte(key)).String()
		return &idemClaim{h: h, key: key, fingerprint: fingerprint}, false
	case rec.Fingerprint != fingerprint:
		fail(http.StatusUnprocessableEntity, msgIdemReused)
	case !rec.Done:
		w.Header().Set("Retry-After", "1")
		fail(http.StatusConflict, msgIdemInFlight)
	default:
		h.tel.replayed.Add(ctx, 1)
		w.Header().Set(HeaderIdempotentReplay, "true")
		writeBody(w, rec.Status, rec.Body)
	}
	return nil, true
}

// idempotencyNamespace derives turn ids from idempotency keys.
var idempotencyNamespace = uuid.MustParse("5b0f3a52-8d0e-4c39-9a4e-3f0b6d1c2e77")

// validIdempotencyKey allows what HTTP header values commonly carry as ids
// (UUIDs, ULIDs, hashes, counters): 1 to 255 visible ASCII characters.
func validIdempotencyKey(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// finish remembers the answer. It runs after the turn was accepted, so a
// store failure only costs the retry its replay; it is logged, not
// returned to the client.
func (c *idemClaim) finish(ctx context.Context, status int, body []byte) {
	if c == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := c.h.idem.Finish(ctx, c.key, idempotency.Record{Fingerprint: c.fingerprint, Status: status, Body: body}); err != nil {
		c.h.log.ErrorContext(ctx, "idempotent answer not stored", "err", err)
	}
}

// release forgets the claim of a request that was not accepted, so that the
// client's retry is taken as new.
func (c *idemClaim) release(ctx context.Context) {
	if c == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := c.h.idem.Release(ctx, c.key); err != nil {
		c.h.log.ErrorContext(ctx, "idempotency claim not released", "err", err)
	}
}
