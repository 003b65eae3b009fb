// Package run composes services into one process: named targets with an
// explicit dependency map, started in dependency order and stopped in
// reverse, after the Loki/Tempo module manager.
package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Service is anything with a blocking Run that returns when ctx is done.
type Service interface {
	Run(ctx context.Context) error
}

// Ready is implemented by services that need time to become usable (a bus
// connection, a bound consumer) before their dependents start.
type Ready interface {
	Ready() <-chan struct{}
}

// Module is a named unit with dependencies. Init builds its service once its
// dependencies are started; a nil Init makes a pure grouping target.
type Module struct {
	Name      string
	Deps      []string
	Init      func(ctx context.Context) (Service, error)
	Invisible bool // not selectable on its own (e.g. the bus)
}

// Manager resolves and runs modules.
type Manager struct {
	modules map[string]Module
	log     *slog.Logger

	mu    sync.Mutex
	phase string // what Starting reports; "" once every module started
}

// NewManager returns a manager of the given modules.
func NewManager(log *slog.Logger, mods ...Module) *Manager {
	m := &Manager{modules: map[string]Module{}, log: log, phase: "not started"}
	for _, mod := range mods {
		m.modules[mod.Name] = mod
	}
	return m
}

// Targets lists the selectable module names.
func (m *Manager) Targets() []string {
	var out []string
	for name, mod := range m.modules {
		if !mod.Invisible {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Order returns the modules needed for targets, dependencies first.
func (m *Manager) Order(targets []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		mod, ok := m.modules[name]
		if !ok {
			return fmt.Errorf("unknown target %q (targets: %s)", name, strings.Join(m.Targets(), ", "))
		}
		switch state[name] {
		case 1:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, name), " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		for _, d := range mod.Deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, t := range targets {
		if m.modules[t].Invisible {
			return nil, fmt.Errorf("target %q is internal and cannot be selected", t)
		}
		if err := visit(t, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Starting returns nil once Run has started every module of its targets
// and each one that implements Ready is ready; before that, and after Run
// returned, an error naming what is awaited. Registered as a readiness
// check, it keeps a process unready until all its targets serve, however
// long a module waits for a dependency, and without flapping while the
// modules register their own checks one by one.
func (m *Manager) Starting() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.phase == "" {
		return nil
	}
	return errors.New(m.phase)
}

func (m *Manager) setPhase(p string) {
	m.mu.Lock()
	m.phase = p
	m.mu.Unlock()
}

type running struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

// Run starts the modules for targets and blocks until ctx is done or one of
// them fails; then it stops them in reverse order, each after its dependents.
func (m *Manager) Run(ctx context.Context, targets []string) error {
	order, err := m.Order(targets)
	if err != nil {
		return err
	}
	failed := make(chan error, len(order))
	defer m.setPhase("stopped")
	started, startErr := m.startAll(ctx, order, failed)
	if startErr == nil && ctx.Err() == nil {
		m.setPhase("")
	}
	if startErr == nil {
		select {
		case <-ctx.Done():
		case startErr = <-failed:
			m.log.Error("module failed; stopping", "err", startErr)
		}
	}
	m.stopAll(started)
	return startErr
}

// startAll starts the modules of order one after the other, each once the
// one before is ready. It stops early when ctx is done or a module fails to
// start, and returns the modules it started, in starting order, with the
// failure if any. A module's later failure is sent on failed.
func (m *Manager) startAll(ctx context.Context, order []string, failed chan error) ([]*running, error) {
	var started []*running
	for _, name := range order {
		mod := m.modules[name]
		if mod.Init == nil {
			continue
		}
		m.setPhase("starting " + name)
		svc, err := mod.Init(ctx)
		if err != nil && ctx.Err() != nil {
			break // stopped while waiting for a dependency: a clean stop
		}
		if err != nil {
			return started, fmt.Errorf("start %s: %w", name, err)
		}
		started = append(started, launch(ctx, name, svc, failed))
		if startErr := awaitReady(ctx, svc, failed); startErr != nil {
			return started, startErr
		}
		if ctx.Err() != nil {
			break
		}
		m.log.Info("module started", "module", name)
	}
	return started, nil
}

// launch runs svc in its own goroutine, under a context that outlives ctx
// so that the module stops only when told to. A failure, or a return
// before it was told to stop, is sent on failed.
func launch(ctx context.Context, name string, svc Service, failed chan<- error) *running {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &running{name: name, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := svc.Run(sctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			failed <- fmt.Errorf("%s: %w", name, err)
		} else if sctx.Err() == nil {
			failed <- fmt.Errorf("%s stopped unexpectedly", name)
		}
		r.done <- err
	}()
	return r
}

// awaitReady waits until svc, if it implements Ready, is ready, a module
// fails (whose error it returns), or ctx is done.
func awaitReady(ctx context.Context, svc Service, failed <-chan error) error {
	rd, ok := svc.(Ready)
	if !ok {
		return nil
	}
	select {
	case <-rd.Ready():
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	return nil
}

// stopAll stops the started modules in reverse order, each after the ones
// started after it, and logs how each one stopped.
func (m *Manager) stopAll(started []*running) {
	slices.Reverse(started)
	for _, r := range started {
		r.cancel()
		err := <-r.done
		if err != nil && !errors.Is(err, context.Canceled) {
			m.log.Error("module stopped with error", "module", r.name, "err", err)
		} else {
			m.log.Info("module stopped", "module", r.name)
		}
	}
}
