package run

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/logx"
)

func TestRetryWaitsUntilSuccessAndGivesUpOnlyOnPermanentOrStop(t *testing.T) {
	calls := 0
	err := Retry(t.Context(), logx.Discard(), "thing", func(context.Context) error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls, want success on the third", err, calls)
	}

	bad := errors.New("configured 8 partitions, streams have 64")
	if err := Retry(t.Context(), logx.Discard(), "thing", func(context.Context) error { return Permanent(bad) }); !errors.Is(err, bad) {
		t.Fatalf("Retry = %v, want the permanent error at once", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := Retry(ctx, logx.Discard(), "thing", func(context.Context) error { return errors.New("down") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Retry = %v, want the context's error", err)
	}
}

// TestStartingPassesOnlyOnceEveryModuleIsReady: the start check names the
// module being waited for, passes once all are ready, and fails again after
// Run returns.
func TestStartingPassesOnlyOnceEveryModuleIsReady(t *testing.T) {
	release := make(chan struct{})
	slow := Module{Name: "dialog", Init: func(context.Context) (Service, error) {
		return readySvc{ready: release}, nil
	}}
	fast := Module{Name: "bus", Invisible: true, Init: func(context.Context) (Service, error) {
		return readySvc{ready: closed()}, nil
	}}
	slow.Deps = []string{"bus"}
	m := NewManager(logx.Discard(), fast, slow)
	if err := m.Starting(); err == nil {
		t.Fatal("Starting passes before Run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"dialog"}) }()
	waitFor(t, "Starting to name dialog", func() bool {
		err := m.Starting()
		return err != nil && strings.Contains(err.Error(), "dialog")
	})
	close(release)
	waitFor(t, "Starting to pass once every module is ready", func() bool { return m.Starting() == nil })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.Starting() == nil {
		t.Fatal("Starting passes after Run returned")
	}
}

type readySvc struct{ ready chan struct{} }

func (s readySvc) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (s readySvc) Ready() <-chan struct{}        { return s.ready }

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
