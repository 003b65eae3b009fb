package main

// The package's waits, on platform/polltest: a test waits for a condition,
// never for a fixed duration.

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// waitFor polls cond until it holds, failing the test after 20 s: these
// tests start processes, which takes seconds on a busy machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	polltest.Until(t, what, 20*time.Second, cond)
}

// waitLog polls the process's output until a line matches re, failing the
// test with the output after timeout.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) {
	t.Helper()
	polltest.UntilNil(t, "a log line matching "+re.String(), timeout, func() error {
		if re.MatchString(p.output()) {
			return nil
		}
		return fmt.Errorf("not in:\n%s", p.output())
	})
}
