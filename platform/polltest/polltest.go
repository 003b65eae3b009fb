// Package polltest is how Parley's tests wait: for a condition, polled,
// never for a fixed duration. It is the one place test code sleeps between
// polls, so that every package waits the same way and a slow machine only
// makes a test slower, not flaky.
package polltest

import (
	"testing"
	"time"
)

// interval is the pause between two polls: short next to the timeouts the
// tests use, long enough not to busy-loop on a loaded machine.
const interval = 10 * time.Millisecond

// Until polls cond until it holds, failing the test with what after
// timeout.
func Until(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !Within(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// UntilNil polls cond until it returns nil, failing the test after timeout
// with what and cond's last error, which says how far things got.
func UntilNil(t testing.TB, what string, timeout time.Duration, cond func() error) {
	t.Helper()
	var last error
	if !Within(timeout, func() bool { last = cond(); return last == nil }) {
		t.Fatalf("%s: not reached in %s: %v", what, timeout, last)
	}
}

// Within polls cond until it holds or timeout passes, and reports whether
// it held.
func Within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
	return true
}

// Holds checks cond for d and fails the test the first time it does not
// hold: the test's claim is that something stays true.
func Holds(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(interval) {
		if !cond() {
			t.Fatalf("%s stopped holding", what)
		}
	}
}
