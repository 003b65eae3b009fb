package dispatcher_test

// The helpers that let time pass on a test's behalf: the polling waits (a
// test waits for a condition, never for a fixed duration), the receivers'
// simulated latency and the quiet period in which nothing may happen.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"

	"github.com/parleyhq/parley/platform/polltest"
)

// respondSlowly stands for a receiver taking 0 to 2 ms to answer, so that
// deliveries are still under way when the dispatcher is stopped.
func respondSlowly() {
	time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
}

// stayQuietFor lets d pass: the test then checks that nothing happened
// meanwhile (no condition to poll for marks the absence of an event).
func stayQuietFor(d time.Duration) {
	time.Sleep(d)
}

// waitForGauge polls the gauge until it reads want.
func waitForGauge(t *testing.T, reader *metric.ManualReader, name string, want map[string]int64) {
	t.Helper()
	polltest.UntilNil(t, name, 10*time.Second, func() error {
		if got := gauge(t, reader, name); !maps.Equal(got, want) {
			return fmt.Errorf("%s = %v, want %v", name, got, want)
		}
		return nil
	})
}
