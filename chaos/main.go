// Command chaos is Parley's chaos suite (`make chaos`, `make chaos-short`).
// For each fault it starts a fresh stack of real processes on loopback (a
// three-node nats-server cluster with JetStream, Redis with Sentinel when
// the services can use it, an ingress, two dialog replicas and a
// dispatcher), drives numbered asynchronous turns from many users at a
// fixed rate, injects the fault, drains, and reports per fault the turns
// sent, accepted, delivered and lost, the duplicates by webhook-id and by
// content, and the order violations. It exits 1 if any fault lost an
// accepted turn or broke a user's order.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Options are the suite's flags.
type Options struct {
	Parley      string        `json:"-"`
	NATSServer  string        `json:"-"`
	RedisServer string        `json:"-"`
	Bot         string        `json:"-"`
	Short       bool          `json:"short"`
	Turns       int           `json:"turns"`
	Users       int           `json:"users"`
	Rate        float64       `json:"rate"`
	Faults      []string      `json:"faults"`
	KillDown    time.Duration `json:"kill_down"`
	// ReceiverDown is how long the receiver refuses connections.
	ReceiverDown time.Duration `json:"receiver_down"`
	// Drain bounds the wait for accepted turns after the load; Settle is
	// the wait after that for late duplicates.
	Drain      time.Duration `json:"drain"`
	Settle     time.Duration `json:"settle"`
	TurnBudget time.Duration `json:"turn_budget"`
	Supervise  bool          `json:"supervise"`
	JSON       bool          `json:"-"`
	Keep       bool          `json:"-"`

	// sentinelSection is the redis: body for Sentinel, "" when the parley
	// binary does not support it.
	sentinelSection string
}

// loadBudget bounds the load of a phase: three times its planned length
// plus two minutes, for faults that stall it.
func (o Options) loadBudget() time.Duration {
	planned := time.Duration(float64(o.Turns) / o.Rate * float64(time.Second))
	return 3*planned + 2*time.Minute
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	runDir, err := os.MkdirTemp("", "parley-chaos-")
	if err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return 1
	}
	if opts.sentinelSection, err = detectSentinel(opts, runDir); err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return 1
	}
	log.Info("chaos run", "dir", runDir, "sentinel", opts.sentinelSection != "", "turns", opts.Turns,
		"users", opts.Users, "rate", opts.Rate, "faults", strings.Join(opts.Faults, ","))

	rep := Report{Options: opts, Started: time.Now().UTC(), Sentinel: opts.sentinelSection != "",
		NATSServer: version(opts.NATSServer, "--version"), Redis: version(opts.RedisServer, "--version")}
	for i, name := range opts.Faults {
		if ctx.Err() != nil {
			break
		}
		f, _ := faultByName(name)
		dir, err := phaseDir(runDir, i, f)
		if err != nil {
			fmt.Fprintf(stderr, "chaos: %v\n", err)
			return 1
		}
		row := runPhase(ctx, opts, f, dir, log)
		log.Info("phase done", "fault", f.Name, "lost", row.Lost, "order_violations", row.OrderViolations,
			"dup_webhook_id", row.DupWebhookID, "dup_content", row.DupContent, "seconds", int(row.Seconds), "error", row.Error)
		rep.Rows = append(rep.Rows, row)
	}
	rep.Seconds = time.Since(rep.Started).Seconds()

	if opts.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.WriteTable(stdout)
	}
	failed := ctx.Err() != nil || len(rep.Rows) < len(opts.Faults)
	for _, r := range rep.Rows {
		failed = failed || r.Failed()
	}
	if failed || opts.Keep {
		fmt.Fprintf(stderr, "chaos: logs and stores kept in %s\n", runDir)
	} else {
		_ = os.RemoveAll(runDir)
	}
	if failed {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var faultList string
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Parley, "parley", "bin/parley", "the parley binary")
	fs.StringVar(&o.NATSServer, "nats-server", "nats-server", "the nats-server binary (2.10 or later)")
	fs.StringVar(&o.RedisServer, "redis-server", "redis-server", "the redis-server binary")
	fs.StringVar(&o.Bot, "bot", "chaos/bot", "the chaos echo bot's directory")
	fs.BoolVar(&o.Short, "short", false, "the CI profile: 600 turns from 60 users at 30/s; kill -9 dialog, NATS single restart, receiver down 10s")
	fs.IntVar(&o.Turns, "turns", 5000, "turns per fault")
	fs.IntVar(&o.Users, "users", 200, "users sending them")
	fs.Float64Var(&o.Rate, "rate", 100, "turns a second, all users together")
	fs.StringVar(&faultList, "faults", strings.Join(longFaults, ","), "comma-separated faults to run, each in a fresh phase")
	fs.DurationVar(&o.KillDown, "kill-down", 5*time.Second, "how long a killed service stays down")
	fs.DurationVar(&o.ReceiverDown, "receiver-down", 30*time.Second, "how long the receiver refuses connections")
	fs.DurationVar(&o.Drain, "drain", 150*time.Second, "longest wait for accepted turns after the load")
	fs.DurationVar(&o.Settle, "settle", 5*time.Second, "wait after the drain for late duplicates")
	fs.DurationVar(&o.TurnBudget, "turn-budget", 60*time.Second, "how long the driver retries one turn before giving it up")
	fs.BoolVar(&o.Supervise, "supervise", false, "start a service that exits by itself again after 1s, as systemd or Kubernetes would")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.Keep, "keep", false, "keep the logs and stores even when every fault passes")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Short {
		short := map[string]func(){
			"turns": func() { o.Turns = 600 }, "users": func() { o.Users = 60 }, "rate": func() { o.Rate = 30 },
			"faults":        func() { faultList = strings.Join(shortFaults, ",") },
			"receiver-down": func() { o.ReceiverDown = 10 * time.Second },
			"drain":         func() { o.Drain = 60 * time.Second },
		}
		for name, apply := range short {
			if !set[name] {
				apply()
			}
		}
	}
	for name := range strings.SplitSeq(faultList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if _, err := faultByName(name); err != nil {
			fmt.Fprintf(stderr, "chaos: -faults: %v\n", err)
			return o, err
		}
		o.Faults = append(o.Faults, name)
	}
	if err := o.validate(); err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return o, err
	}
	return o, nil
}

func (o *Options) validate() error {
	switch {
	case o.Users < 1 || o.Turns < o.Users:
		return fmt.Errorf("-users must be at least 1 and -turns at least -users")
	case o.Rate <= 0 || o.Rate > 2000:
		return fmt.Errorf("-rate must be between 0 and 2000 turns a second")
	case len(o.Faults) == 0:
		return fmt.Errorf("-faults names no fault")
	}
	for _, p := range []*string{&o.Parley, &o.NATSServer, &o.RedisServer} {
		path, err := exec.LookPath(*p)
		if err != nil {
			return fmt.Errorf("%s: %w (make chaos-tools installs nats-server)", *p, err)
		}
		if *p, err = filepath.Abs(path); err != nil {
			return err
		}
	}
	bot, err := filepath.Abs(o.Bot)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(bot, "bot.yaml")); err != nil {
		return fmt.Errorf("-bot: %w", err)
	}
	o.Bot = bot
	return nil
}

// version is the first line a binary prints for flag.
func version(bin, flag string) string {
	out, err := exec.Command(bin, flag).Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
