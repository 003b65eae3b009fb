package run

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/polltest"
)

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

type svc struct {
	name string
	rec  *recorder
	fail error
}

func (s svc) Run(ctx context.Context) error {
	s.rec.add("start " + s.name)
	if s.fail != nil {
		return s.fail
	}
	<-ctx.Done()
	s.rec.add("stop " + s.name)
	return nil
}

func modules(rec *recorder, failing string) []Module {
	mk := func(name string, deps ...string) Module {
		return Module{Name: name, Deps: deps, Init: func(context.Context) (Service, error) {
			s := svc{name: name, rec: rec}
			if name == failing {
				s.fail = errors.New("boom")
			}
			return s, nil
		}}
	}
	bus := mk("bus")
	bus.Invisible = true
	return []Module{bus, mk("ingress", "bus"), mk("dialog", "bus"), {Name: "all", Deps: []string{"ingress", "dialog"}}}
}

func TestOrder(t *testing.T) {
	m := NewManager(logx.Discard(), modules(&recorder{}, "")...)
	got, err := m.Order([]string{"all"})
	if err != nil || strings.Join(got, ",") != "bus,ingress,dialog,all" {
		t.Fatalf("Order(all) = %v, %v", got, err)
	}
	if got, _ := m.Order([]string{"dialog", "ingress"}); strings.Join(got, ",") != "bus,dialog,ingress" {
		t.Fatalf("Order(dialog,ingress) = %v", got)
	}
	if !slices.Equal(m.Targets(), []string{"all", "dialog", "ingress"}) {
		t.Fatalf("Targets() = %v; the bus must stay hidden", m.Targets())
	}
	for _, bad := range [][]string{{"nope"}, {"bus"}} {
		if _, err := m.Order(bad); err == nil {
			t.Errorf("Order(%v) accepted", bad)
		}
	}
	cyclic := NewManager(logx.Discard(), Module{Name: "a", Deps: []string{"b"}}, Module{Name: "b", Deps: []string{"a"}})
	if _, err := cyclic.Order([]string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle not reported: %v", err)
	}
}

func TestRunStopsInReverseOrder(t *testing.T) {
	rec := &recorder{}
	m := NewManager(logx.Discard(), modules(rec, "")...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx, []string{"all"}) }()
	// Cancel once the three modules have started; the stop order is the assertion.
	polltest.Within(5*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.events) == 3
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stops := []string{}
	for _, e := range rec.events {
		if strings.HasPrefix(e, "stop ") {
			stops = append(stops, e)
		}
	}
	if strings.Join(stops, ",") != "stop dialog,stop ingress,stop bus" {
		t.Fatalf("stop order %v", stops)
	}
}

func TestFailingModuleStopsTheRest(t *testing.T) {
	rec := &recorder{}
	m := NewManager(logx.Discard(), modules(rec, "dialog")...)
	err := m.Run(context.Background(), []string{"all"})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Run = %v, want the module's failure", err)
	}
	if !slices.Contains(rec.events, "stop bus") || !slices.Contains(rec.events, "stop ingress") {
		t.Fatalf("the other modules were not stopped: %v", rec.events)
	}
}
