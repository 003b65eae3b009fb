package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Fault is one thing the suite does to a running stack while traffic
// flows. Inject returns when the fault is over (the process or server is
// back); its notes describe what it did.
type Fault struct {
	Name   string // as -faults names it
	Title  string // the report's row
	Inject func(ctx context.Context, s *Stack) (notes []string, err error)
}

var faults = []Fault{
	{"baseline", "no fault (control)", func(context.Context, *Stack) ([]string, error) { return nil, nil }},
	{"kill-dialog", "kill -9 dialog replica (of 2)", killService(svcDialog1)},
	{"kill-dispatcher", "kill -9 dispatcher", killService(svcDispatcher)},
	{"kill-ingress", "kill -9 ingress", killService(svcIngress)},
	{"nats-single", "NATS single node restart", natsSingle},
	{"nats-rolling", "NATS rolling restart (3 nodes)", natsRolling},
	{"nats-full", "NATS full cluster restart", natsFull},
	{"redis-failover", "Redis failover (Sentinel)", redisFailover},
	{"receiver-down", "receiver down", receiverDown},
}

// The faults of `make chaos` and of `make chaos-short`.
var (
	longFaults  = []string{"kill-dialog", "kill-dispatcher", "kill-ingress", "nats-single", "nats-rolling", "nats-full", "redis-failover", "receiver-down"}
	shortFaults = []string{"kill-dialog", "nats-single", "receiver-down"}
)

func faultByName(name string) (Fault, error) {
	for _, f := range faults {
		if f.Name == name {
			return f, nil
		}
	}
	var names []string
	for _, f := range faults {
		names = append(names, f.Name)
	}
	return Fault{}, fmt.Errorf("unknown fault %q (known: %v)", name, names)
}

// killService is kill -9 of one process, which a supervisor starts again
// after -kill-down.
func killService(name string) func(context.Context, *Stack) ([]string, error) {
	return func(ctx context.Context, s *Stack) ([]string, error) {
		start := time.Now()
		if err := s.restartService(ctx, name, s.opts.KillDown); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("%s SIGKILLed, started again after %s, ready %.0fs after the kill",
			name, s.opts.KillDown, time.Since(start).Seconds())}, nil
	}
}

func natsSingle(ctx context.Context, s *Stack) ([]string, error) {
	n := s.NATS.Busiest()
	conns := n.Connections()
	if err := n.Restart(ctx, natsDown); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("%s (the busiest node, %d client connections) stopped (SIGTERM), started after %s",
		n.Spec.Name, conns, natsDown)}, nil
}

// natsDown is how long a restarted NATS node stays down, and natsSettle
// how long a rolling restart waits between nodes for the streams to
// catch up, as an operator would.
const (
	natsDown   = 2 * time.Second
	natsSettle = 5 * time.Second
)

func natsRolling(ctx context.Context, s *Stack) ([]string, error) {
	var conns []string
	for i, n := range s.NATS.Nodes {
		if i > 0 {
			if err := sleepCtx(ctx, natsSettle); err != nil {
				return nil, err
			}
		}
		conns = append(conns, fmt.Sprintf("%s %d", n.Spec.Name, n.Connections()))
		if err := n.Restart(ctx, natsDown); err != nil {
			return nil, err
		}
	}
	return []string{fmt.Sprintf("each node stopped (SIGTERM), started after %s, next after %s; client connections before each stop: %s",
		natsDown, natsSettle, strings.Join(conns, ", "))}, nil
}

func natsFull(ctx context.Context, s *Stack) ([]string, error) {
	const down = 5 * time.Second
	var wg sync.WaitGroup
	errs := make([]error, len(s.NATS.Nodes))
	for i, n := range s.NATS.Nodes {
		wg.Go(func() { errs[i] = n.Stop(10 * time.Second) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := sleepCtx(ctx, down); err != nil {
		return nil, err
	}
	for _, n := range s.NATS.Nodes {
		if err := n.Start(); err != nil {
			return nil, err
		}
	}
	if err := s.NATS.WaitHealthy(ctx, 90*time.Second); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("all 3 nodes stopped (SIGTERM), started after %s", down)}, nil
}

func redisFailover(ctx context.Context, s *Stack) ([]string, error) {
	if !s.Sentinel {
		if err := s.Redis.RestartWiped(ctx, 2*time.Second); err != nil {
			return nil, err
		}
		return []string{"sentinel: not supported by config yet; ran a standalone Redis kill -9 and restart with its data wiped instead"}, nil
	}
	took, err := s.Redis.Failover(ctx)
	if err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("master SIGKILLed; Sentinel promoted the replica in %.1fs; old master back as a replica", took.Seconds())}, nil
}

func receiverDown(ctx context.Context, s *Stack) ([]string, error) {
	if err := s.Receiver.Stop(); err != nil {
		return nil, err
	}
	if err := sleepCtx(ctx, s.opts.ReceiverDown); err != nil {
		return nil, err
	}
	if err := s.Receiver.Start(); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("receiver refused connections for %s", s.opts.ReceiverDown)}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
