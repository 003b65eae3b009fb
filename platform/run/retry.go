package run

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/platform/consume"
)

// PermanentError marks a start-up error that waiting cannot fix (a
// configuration that contradicts the deployed layout): Retry gives up on it.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that Retry returns it instead of trying again.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Retry runs fn until it succeeds, returns a Permanent error, or ctx ends,
// waiting consume.Backoff between attempts (jittered, doubling from 100 ms
// up to 5 s), the same curve as a failing message's retries.
// It is how a service waits for a dependency that may come back (NATS, a
// bucket being recreated) instead of exiting: the process stays up and not
// ready meanwhile. It returns nil, the permanent error, or ctx's error.
func Retry(ctx context.Context, log *slog.Logger, what string, fn func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info(what+": done after retrying", "attempts", attempt)
			}
			return nil
		}
		if perm := (*PermanentError)(nil); errors.As(err, &perm) {
			return perm.Err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The first failures are common during a restart; say so once, then
		// now and then, so that a long wait is visible but not noisy.
		if attempt == 1 || attempt%10 == 0 {
			log.Warn(what+": retrying", "attempt", attempt, "err", err)
		}
		select {
		case <-time.After(consume.Backoff(attempt)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
