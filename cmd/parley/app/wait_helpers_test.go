package app

// The polling helpers of the package's tests: a test waits for a condition,
// never for a fixed duration, and only these helpers sleep between polls.

import (
	"testing"
	"time"
)

// holds checks cond every 20 ms for d and fails the test the first time it
// does not hold.
func holds(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); {
		if !cond() {
			t.Fatalf("%s stopped holding", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUntil polls cond every 20 ms until it holds, failing the test after
// timeout.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pollNotReady reports whether the redis check failed at least once
// within timeout.
func pollNotReady(c *checks, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.run("redis") != nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
