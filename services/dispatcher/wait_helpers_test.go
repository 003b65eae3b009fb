package dispatcher_test

// The helpers that let time pass on a test's behalf: the polling waits (a
// test waits for a condition, never for a fixed duration), the receivers'
// simulated latency and the quiet period in which nothing may happen.

import (
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"
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

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitForGauge(t *testing.T, reader *metric.ManualReader, name string, want map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := gauge(t, reader, name)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
