package app_test

// The polling helpers of the external tests: a test waits for a condition,
// never for a fixed duration, and only these helpers sleep between polls.

import (
	"testing"
	"time"
)

// within polls cond every 10ms until it holds or d passes, and returns how
// long it took.
func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
