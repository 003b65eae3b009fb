package dispatcher

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/parleyhq/parley/services/dispatcher/internal/delivery"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
)

// sampleDeadLetters records parley.dead_letters per channel every interval
// until ctx is done. The DLQ stream is shared, so only the replica owning
// partition 0 of the dispatcher group samples it: one series per channel
// across replicas, so sums over replicas are the DLQ's content. A channel
// whose dead letters are gone, and every channel when this replica stops
// sampling, is recorded as 0 rather than left at its last value.
func sampleDeadLetters(ctx context.Context, store *dlq.Store, m *delivery.Metrics, interval time.Duration, owned func() []int, log *slog.Logger) {
	reported := map[dlq.Channel]bool{}
	zeroExcept := func(keep map[dlq.Channel]uint64) {
		for ch := range reported {
			if _, ok := keep[ch]; !ok {
				m.DeadLetters(context.WithoutCancel(ctx), ch.BotID, ch.InstanceID, 0)
				delete(reported, ch)
			}
		}
	}
	defer zeroExcept(nil)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if slices.Contains(owned(), 0) {
			c, cancel := context.WithTimeout(ctx, min(interval, 10*time.Second))
			counts, err := store.CountByChannel(c)
			cancel()
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("sample dead letters", "err", err) // keep the last values
			default:
				for ch, n := range counts {
					m.DeadLetters(ctx, ch.BotID, ch.InstanceID, n)
					reported[ch] = true
				}
				zeroExcept(counts)
			}
		} else {
			zeroExcept(nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
