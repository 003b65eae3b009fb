package redisx

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Backoff bounds of LogReachable's probes.
const (
	firstProbeDelay = 250 * time.Millisecond
	maxProbeDelay   = 10 * time.Second
)

// LogReachable pings rdb at start, and again with backoff while it does
// not answer, so that the log says when Redis is missing and when it came
// back. It only reports: the client reconnects on its own, and readiness
// comes from the ops server's check. It returns once Redis answered or ctx
// is done.
func LogReachable(ctx context.Context, rdb redis.UniversalClient, desc string, log *slog.Logger) {
	delay := firstProbeDelay
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rdb.Ping(pctx).Err()
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			if attempt > 1 {
				log.Info("redis is reachable", "redis", desc, "after_attempts", attempt)
			}
			return
		}
		if attempt == 1 {
			log.Warn("redis is not reachable; staying not ready and retrying", "redis", desc, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxProbeDelay)
	}
}
