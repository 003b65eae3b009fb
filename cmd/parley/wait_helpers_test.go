package main

// The polling helpers of the package's tests: a test waits for a condition,
// never for a fixed duration, and only these helpers sleep between polls.

import (
	"regexp"
	"testing"
	"time"
)

// pollUntil polls cond every 20 ms until it holds or timeout passes, and
// reports whether it held.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog polls the process's output until a line matches re, failing the
// test with the output after timeout.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !re.MatchString(p.output()) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line matching %s in:\n%s", re, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
