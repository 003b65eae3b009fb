package run

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// waitFor polls cond for up to 5 s: the modules under test start in
// milliseconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	polltest.Until(t, what, 5*time.Second, cond)
}
