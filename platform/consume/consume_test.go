package consume_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/consume"
)

func TestDecide(t *testing.T) {
	cases := []struct {
		err  error
		want consume.Decision
	}{
		{nil, consume.Ack},
		{errors.New("store unavailable"), consume.Retry},
		{consume.Permanent(errors.New("undecodable")), consume.Term},
		{fmt.Errorf("turn 7: %w", consume.Permanent(errors.New("unknown bot"))), consume.Term},
	}
	for _, c := range cases {
		if got := consume.Decide(c.err); got != c.want {
			t.Errorf("Decide(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestBackoffIsJitteredAndCapped(t *testing.T) {
	for n := 1; n <= 12; n++ {
		full := min(50*time.Millisecond<<min(n, 7), 5*time.Second)
		for range 50 {
			if d := consume.Backoff(n); d < full/2 || d > full {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestBackoffIsCapped(t *testing.T) {
	for n := 1; n < 50; n++ {
		if d := consume.Backoff(n); d <= 0 || d > 5*time.Second {
			t.Fatalf("Backoff(%d) = %s", n, d)
		}
	}
}

// msg is a message known by its subject; Lanes reads nothing else.
type msg struct {
	jetstream.Msg
	subject string
}

func (m msg) Subject() string { return m.subject }

func TestLanesKeepKeyOrderAndStopOnAbort(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	// Nothing runs until everything is queued, so that b3 waits in the
	// lane that gives up rather than starting a new one.
	start := make(chan struct{})
	lanes := consume.NewLanes(func(m jetstream.Msg) string { return m.Subject()[:1] }, func(m jetstream.Msg) bool {
		<-start
		mu.Lock()
		defer mu.Unlock()
		seen[m.Subject()[:1]] = append(seen[m.Subject()[:1]], m.Subject())
		return m.Subject() != "b2" // b's lane gives up at b2
	})
	for _, s := range []string{"a1", "b1", "a2", "b2", "a3", "b3"} {
		lanes.Dispatch(msg{subject: s})
	}
	close(start)
	lanes.Wait()
	if !slices.Equal(seen["a"], []string{"a1", "a2", "a3"}) {
		t.Errorf("lane a ran %v", seen["a"])
	}
	if !slices.Equal(seen["b"], []string{"b1", "b2"}) {
		t.Errorf("lane b ran %v, want it to stop after b2", seen["b"])
	}
}
