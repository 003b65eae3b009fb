package app

import (
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// pollNotReady reports whether the redis check failed at least once
// within timeout.
func pollNotReady(c *checks, timeout time.Duration) bool {
	return polltest.Within(timeout, func() bool { return c.run("redis") != nil })
}
