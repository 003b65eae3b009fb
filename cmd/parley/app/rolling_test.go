package app

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/polltest"
)

// TestRollingRestartOfDialogLosesNoTurn keeps users talking while dialog
// replicas are stopped and started one after the other: every accepted turn
// must be applied exactly once, in each user's order.
func TestRollingRestartOfDialogLosesNoTurn(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	front := startProcess(t, cfg, Ingress, Dialog)
	second := startProcess(t, cfg, Dialog)
	url := front.base() + "/chatbot/hooks/" + botID + "/hookInstance/async"

	var accepted atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for u := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := say(t, url, fmt.Sprintf("roller-%d", u), fmt.Sprintf("turn %d", i))
				if r.Status != http.StatusOK {
					t.Errorf("turn refused during the restart: %d %s", r.Status, r.Raw)
					return
				}
				accepted.Add(1)
			}
		})
	}
	polltest.Until(t, "traffic", 10*time.Second, func() bool { return accepted.Load() > 50 })
	second.Stop() // graceful: drains its partitions and hands them over
	mark := accepted.Load()
	polltest.Until(t, "traffic after the first stop", 10*time.Second, func() bool { return accepted.Load() > mark+50 })
	third := startProcess(t, cfg, Dialog) // the replacement joins and takes its share
	polltest.Until(t, "the replacement to own partitions", 30*time.Second, func() bool { return len(third.dialog.OwnedPartitions()) > 0 })
	mark = accepted.Load()
	polltest.Until(t, "traffic after the replacement", 10*time.Second, func() bool { return accepted.Load() > mark+50 })
	close(stop)
	wg.Wait()

	conn := bustest.Connect(t, busCfg)
	want := accepted.Load()
	polltest.Until(t, "a reply to every accepted turn", 60*time.Second, func() bool {
		s, err := conn.JS.Stream(t.Context(), busCfg.Name(bus.StreamReplies))
		return err == nil && s.CachedInfo().State.Msgs >= uint64(want)
	})
	byUser, _ := readReplies(t, conn, busCfg)
	total := 0
	for user, seqs := range byUser {
		total += len(seqs)
		if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
			t.Errorf("%s: turns out of order or repeated: %v", user, seqs)
		}
	}
	if int64(total) != want {
		t.Fatalf("%d replies for %d accepted turns", total, want)
	}
}
