package partitions_test

// The helpers that let time pass on a test's behalf: the polling waits (a
// test waits for a condition, never for a fixed duration) and the handler's
// simulated work.

import (
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// simulateWork stands for a handler's work taking d, so that messages stay
// in flight long enough for partitions to move between members under them.
func simulateWork(d time.Duration) {
	time.Sleep(d)
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitForGauges(t *testing.T, reader *sdkmetric.ManualReader, what string, want map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := gauges(t, reader)
		if equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gauges of %s: %v, want %v", what, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
