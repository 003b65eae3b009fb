package webhooksig_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

func TestDeduper(t *testing.T) {
	type step struct {
		at     time.Duration // since the start
		op     string        // "seen" or "forget"
		id     string
		wantOK bool // for "seen": the result of Seen
	}
	for _, tc := range []struct {
		name     string
		window   time.Duration
		capacity int
		steps    []step
	}{
		{"a redelivery is seen", time.Hour, 10, []step{
			{0, "seen", "ms-1", false},
			{time.Second, "seen", "ms-1", true},
			{59 * time.Minute, "seen", "ms-1", true},
		}},
		{"ids are independent", time.Hour, 10, []step{
			{0, "seen", "ms-1", false},
			{0, "seen", "ms-2", false},
			{0, "seen", "ms-1", true},
		}},
		{"the window ends", time.Hour, 10, []step{
			{0, "seen", "ms-1", false},
			{time.Hour, "seen", "ms-1", false},
			{time.Hour + time.Second, "seen", "ms-1", true},
		}},
		{"the window counts from the first delivery", time.Hour, 10, []step{
			{0, "seen", "ms-1", false},
			{30 * time.Minute, "seen", "ms-1", true},
			{61 * time.Minute, "seen", "ms-1", false},
		}},
		{"forget lets a retry through", time.Hour, 10, []step{
			{0, "seen", "ms-1", false},
			{0, "forget", "ms-1", false},
			{time.Second, "seen", "ms-1", false},
			{2 * time.Second, "seen", "ms-1", true},
			{0, "forget", "never-seen", false},
		}},
		{"capacity forgets the oldest", time.Hour, 2, []step{
			{0, "seen", "ms-1", false},
			{0, "seen", "ms-2", false},
			{0, "seen", "ms-3", false},
			{0, "seen", "ms-2", true},
			{0, "seen", "ms-1", false}, // evicted by ms-3; now evicts ms-2
			{0, "seen", "ms-3", true},
		}},
		{"an empty id is never seen", time.Hour, 10, []step{
			{0, "seen", "", false},
			{0, "seen", "", false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Unix(1_700_000_000, 0)
			var now time.Time
			d := webhooksig.NewDeduper(tc.window, tc.capacity)
			d.Now = func() time.Time { return now }
			for i, s := range tc.steps {
				now = start.Add(s.at)
				switch s.op {
				case "seen":
					if got := d.Seen(s.id); got != s.wantOK {
						t.Fatalf("step %d: Seen(%q) at +%v = %v, want %v", i, s.id, s.at, got, s.wantOK)
					}
				case "forget":
					d.Forget(s.id)
				}
			}
			if d.Len() > tc.capacity {
				t.Errorf("remembers %d ids, capacity %d", d.Len(), tc.capacity)
			}
		})
	}
}

// Of concurrent deliveries of one id, exactly one is new.
func TestDeduperConcurrent(t *testing.T) {
	d := webhooksig.NewDeduper(0, 0)
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if !d.Seen("ms-shared") {
				fresh.Add(1)
			}
			d.Seen(fmt.Sprintf("ms-%d", i))
		})
	}
	wg.Wait()
	if fresh.Load() != 1 || d.Len() != 65 {
		t.Fatalf("%d deliveries taken as new, %d ids remembered; want 1 and 65", fresh.Load(), d.Len())
	}
}
