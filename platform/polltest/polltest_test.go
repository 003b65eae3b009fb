package polltest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	var calls atomic.Int32
	if !Within(time.Second, func() bool { return calls.Add(1) >= 3 }) {
		t.Fatal("a condition that becomes true within the timeout was reported as never holding")
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("polled %d times, want 3 (stop at the first success)", got)
	}
	start := time.Now()
	if Within(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("a condition that never holds was reported as holding")
	}
	if waited := time.Since(start); waited < 30*time.Millisecond {
		t.Fatalf("gave up after %s, before the 30ms timeout", waited)
	}
}

// failures records Fatalf instead of stopping the test.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}
func (f *failures) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, format)
}

func TestUntilAndUntilNilFailOnTimeout(t *testing.T) {
	f := &failures{TB: t}
	Until(f, "never", 20*time.Millisecond, func() bool { return false })
	UntilNil(f, "never nil", 20*time.Millisecond, func() error { return errors.New("still down") })
	Until(f, "at once", time.Second, func() bool { return true })
	UntilNil(f, "nil at once", time.Second, func() error { return nil })
	if len(f.msgs) != 2 {
		t.Fatalf("%d failures %q, want the 2 timeouts only", len(f.msgs), f.msgs)
	}
}

func TestHoldsFailsWhenTheConditionBreaks(t *testing.T) {
	f := &failures{TB: t}
	var calls atomic.Int32
	Holds(f, "breaks on the third poll", time.Second, func() bool { return calls.Add(1) < 3 })
	if len(f.msgs) == 0 {
		t.Fatal("a condition that stopped holding was not reported")
	}
	f = &failures{TB: t}
	Holds(f, "always", 30*time.Millisecond, func() bool { return true })
	if len(f.msgs) != 0 {
		t.Fatalf("a condition that held was reported: %q", f.msgs)
	}
}
