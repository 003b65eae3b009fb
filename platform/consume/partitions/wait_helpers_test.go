package partitions_test

// The helpers that let time pass on a test's behalf: the polling waits (a
// test waits for a condition, never for a fixed duration) and the handler's
// simulated work.

import (
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/parleyhq/parley/platform/polltest"
)

// simulateWork stands for a handler's work taking d, so that messages stay
// in flight long enough for partitions to move between members under them.
func simulateWork(d time.Duration) {
	time.Sleep(d)
}

// waitForGauges polls the group's gauges until they read want.
func waitForGauges(t *testing.T, reader *sdkmetric.ManualReader, what string, want map[string]int64) {
	t.Helper()
	polltest.UntilNil(t, "gauges of "+what, 10*time.Second, func() error {
		if got := gauges(t, reader); !equal(got, want) {
			return fmt.Errorf("%v, want %v", got, want)
		}
		return nil
	})
}
