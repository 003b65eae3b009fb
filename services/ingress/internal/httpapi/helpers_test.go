package httpapi

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// waitFor polls ok for up to 10 s.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	polltest.Until(t, "the condition", 10*time.Second, ok)
}
