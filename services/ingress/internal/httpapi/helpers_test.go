package httpapi

import (
	"testing"
	"time"
)

// waitFor polls ok until it holds: a test waits for a condition, never for
// a fixed duration.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
