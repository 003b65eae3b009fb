package app_test

// The polling helpers of the external tests: a test waits for a condition,
// never for a fixed duration, and only these helpers sleep between polls.

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// within polls cond until it holds, failing the test after d, and returns
// how long it took: the tests report how fast a change reaches a replica.
func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	polltest.Until(t, what, d, cond)
	return time.Since(start)
}
