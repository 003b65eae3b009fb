package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/parleyhq/parley/chaos/internal/ledger"
	"github.com/parleyhq/parley/chaos/internal/load"
	"github.com/parleyhq/parley/chaos/internal/proc"
	"github.com/parleyhq/parley/chaos/internal/servers"
	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/platform/registry"
)

// Row is one fault's result.
type Row struct {
	Fault string `json:"fault"`
	Title string `json:"title"`
	ledger.Tally
	Notes []string `json:"notes"`
	// ServiceWarnings counts each service's WARN and ERROR log messages.
	ServiceWarnings map[string]map[string]int `json:"service_warnings,omitempty"`
	// Error is set when the phase could not run as planned (a server that
	// did not start, a fault that could not be injected).
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Failed says whether the row breaks the suite's promise.
func (r Row) Failed() bool { return r.Lost > 0 || r.OrderViolations > 0 || r.Error != "" }

// runPhase starts a fresh stack, drives the load, injects the fault once a
// quarter of the turns are sent, drains and counts. Everything it started
// is stopped before it returns.
func runPhase(ctx context.Context, opts Options, f Fault, dir string, log *slog.Logger) Row {
	start := time.Now()
	row := Row{Fault: f.Name, Title: f.Title}
	if f.Name == "receiver-down" {
		row.Title = fmt.Sprintf("%s %s", f.Title, opts.ReceiverDown)
	}
	group := &proc.Group{}
	defer func() {
		if err := group.StopAll(5 * time.Second); err != nil {
			log.Warn("stopping the phase's processes", "err", err)
		}
	}()
	ev := &events{start: time.Now()}
	l := ledger.New()
	fail := func(err error) Row {
		row.Error = err.Error()
		row.Tally = l.Tally()
		row.Notes = append(row.Notes, ev.list()...)
		row.Seconds = time.Since(start).Seconds()
		return row
	}

	recvPort, err := servers.FreePort()
	if err != nil {
		return fail(err)
	}
	sec := newSecrets()
	rcv, err := load.NewReceiver(fmt.Sprintf("127.0.0.1:%d", recvPort), sec.accessToken, sec.signingSecret, l)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := rcv.Stop(); err != nil {
			log.Warn("stopping the receiver", "err", err)
		}
	}()
	log.Info("starting the stack", "fault", f.Name, "dir", dir)
	s, err := startStack(ctx, opts, dir, group, ev, rcv, sec)
	if err != nil {
		return fail(fmt.Errorf("setup: %w", err))
	}
	ev.add("stack ready; load starts")
	driver, err := newDriver(opts, s, l, f.Name)
	if err != nil {
		return fail(err)
	}

	loadCtx, cancelLoad := context.WithTimeout(ctx, opts.loadBudget())
	defer cancelLoad()
	loadDone := make(chan struct{})
	go func() { driver.Run(loadCtx); close(loadDone) }()
	log.Info("load started", "turns", opts.Turns, "users", opts.Users, "rate", opts.Rate)

	faultAt := opts.Turns / 4
	for l.SentCount() < faultAt && !closed(loadDone) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	log.Info("injecting", "fault", f.Name, "sent", l.SentCount())
	ev.add("fault %s begins", f.Name)
	notes, err := f.Inject(ctx, s)
	ev.add("fault %s over", f.Name)
	row.Notes = append(row.Notes, notes...)
	if err != nil {
		row.Error = fmt.Sprintf("inject %s: %v", f.Name, err)
	}
	<-loadDone
	log.Info("load done; draining", "sent", l.SentCount(), "pending", l.Pending())
	drain(ctx, l, opts)

	row.Tally = l.Tally()
	row.Notes = append(row.Notes, ev.list()...)
	row.ServiceWarnings = logWarnings(s)
	row.Seconds = time.Since(start).Seconds()
	return row
}

// drain waits until every accepted turn arrived or -drain passed, then
// -settle more for late duplicates.
func drain(ctx context.Context, l *ledger.Ledger, opts Options) {
	deadline := time.Now().Add(opts.Drain)
	for l.Pending() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
	_ = sleepCtx(ctx, opts.Settle)
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// newDriver mints each user's token and spreads the turns over the users.
func newDriver(opts Options, s *Stack, l *ledger.Ledger, phase string) (*load.Driver, error) {
	reg := registry.Config{Apps: []registry.App{{ClientID: appID, ClientSecret: s.secrets.clientSecret}}}
	users := make([]load.User, opts.Users)
	for i := range users {
		id := fmt.Sprintf("u%03d", i+1)
		tok, err := token.Mint(reg, token.Options{AppID: appID, User: id, Alg: registry.HS256, TTL: 4 * time.Hour}, time.Now())
		if err != nil {
			return nil, fmt.Errorf("token: %w", err)
		}
		users[i] = load.User{ID: id, Token: tok, Turns: opts.Turns / opts.Users}
		if i < opts.Turns%opts.Users {
			users[i].Turns++
		}
	}
	return &load.Driver{
		URL: s.ingressURL, Users: users, Rate: opts.Rate, Ledger: l,
		TurnBudget: opts.TurnBudget, KeyPrefix: phase + "-" + randomText(6),
		Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: opts.Users, IdleConnTimeout: 30 * time.Second,
		}},
	}, nil
}

// phaseDir makes the phase's working directory under the run's.
func phaseDir(runDir string, i int, f Fault) (string, error) {
	dir := filepath.Join(runDir, fmt.Sprintf("%02d-%s", i+1, f.Name))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("phase dir: %w", err)
	}
	return dir, nil
}
