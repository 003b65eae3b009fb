// Package consume decides what becomes of every JetStream message a Parley
// service consumes, so that the dialog and the dispatcher settle messages
// the same way:
//
//   - the handler returns nil: the message is acked;
//   - it returns a Permanent error: the message is terminated, never
//     redelivered, since retrying cannot fix it (an undecodable payload, an
//     unknown bot);
//   - it returns any other error: the message is retried in place after a
//     jittered backoff, reporting progress so that JetStream does not
//     redeliver it meanwhile, until it succeeds or the consumer gives the
//     message up (its context ends), leaving it un-acked for redelivery.
//
// Lanes keeps the order that makes the in-place retry right: messages with
// the same key (a conversation) run one at a time in delivery order, so a
// message being retried holds back only its own key's later messages.
// Traced gives each message the CONSUMER span that continues the
// producer's trace. Which replica consumes which messages is the business
// of the partitions subpackage.
package consume

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message. A nil error acks it; a Permanent error
// terminates it; any other error is retried in its lane, holding back that
// key's later messages, until it succeeds or the consumer gives it up.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// PermanentError marks an error that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that the message is terminated, not retried.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err, or an error it wraps, is Permanent.
func IsPermanent(err error) bool {
	var perm *PermanentError
	return errors.As(err, &perm)
}

// Decision is what becomes of a message after one run of its handler.
type Decision int

const (
	// Ack: the message was handled.
	Ack Decision = iota
	// Term: the message can never be handled; it is not redelivered.
	Term
	// Retry: the handler failed for now; it runs again after a backoff.
	Retry
)

// Decide maps the error a handler returned to the message's fate.
func Decide(err error) Decision {
	switch {
	case err == nil:
		return Ack
	case IsPermanent(err):
		return Term
	default:
		return Retry
	}
}

// Settle runs h on msg until the message is acked or terminated, retrying
// after Backoff while h fails. It returns false when ctx ended first: the
// message is then left un-acked, for JetStream to deliver again.
func Settle(ctx context.Context, h Handler, msg jetstream.Msg, log *slog.Logger) bool {
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return false
		}
		err := h(ctx, msg)
		switch Decide(err) {
		case Ack:
			if err := msg.Ack(); err != nil {
				log.Warn("ack", "err", err)
			}
			return true
		case Term:
			log.Error("message terminated", "subject", msg.Subject(), "err", err)
			_ = msg.TermWithReason(err.Error())
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn("message failed; retrying in its lane", "attempt", attempt, "err", err)
		_ = msg.InProgress()
		select {
		case <-time.After(Backoff(attempt)):
		case <-ctx.Done():
			return false
		}
	}
}

// Backoff is the delay before retry n (1-based) of a failing message:
// exponential from 50 ms, capped at 5 s, with full jitter so that lanes
// failing together do not retry in lockstep.
func Backoff(n int) time.Duration {
	d := 50 * time.Millisecond << min(n, 7)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}
