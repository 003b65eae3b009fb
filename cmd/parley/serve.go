package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/platform/run"
)

// serveFlags are the settings that flags and PARLEY_* variables override.
type serveFlags struct {
	configFile, targets                     string
	listTargets, verify, production         bool
	natsURL, natsListen, redisURL, dataDir  string
	ingressListen, channelsListen, logLevel string
	opsListen                               string
	// Redis behind Sentinel or in Cluster; the addresses are comma-separated.
	redisSentinelMaster, redisSentinelAddrs string
	redisSentinelPassword, redisPassword    string
	redisClusterAddrs                       string
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, *flag.FlagSet, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.configFile, "config.file", "", "YAML config file (default: the built-in one with the sample bot)")
	fs.StringVar(&f.targets, "target", app.All, "comma-separated targets to run")
	fs.BoolVar(&f.listTargets, "list-targets", false, "print the targets and exit")
	fs.BoolVar(&f.verify, "config.verify", false, "validate the configuration and exit")
	fs.BoolVar(&f.production, "production", false, "refuse the built-in development secrets (implied by a listen address that is not loopback)")
	fs.StringVar(&f.natsURL, "nats.url", "", "NATS server URL (empty: embedded server)")
	fs.StringVar(&f.natsListen, "nats.embedded.listen", "", "let other processes reach the embedded NATS at host:port")
	fs.StringVar(&f.redisURL, "redis.url", "", "Redis URL for sessions (empty: JetStream KV)")
	fs.StringVar(&f.redisSentinelMaster, "redis.sentinel.master_name", "", "Redis primary's name in Sentinel")
	fs.StringVar(&f.redisSentinelAddrs, "redis.sentinel.addrs", "", "comma-separated host:port of the Redis Sentinels")
	fs.StringVar(&f.redisSentinelPassword, "redis.sentinel.password", "", "password of the Redis Sentinels (prefer PARLEY_REDIS_SENTINEL_PASSWORD)")
	fs.StringVar(&f.redisClusterAddrs, "redis.cluster.addrs", "", "comma-separated host:port of Redis Cluster seed nodes")
	fs.StringVar(&f.redisPassword, "redis.password", "", "password of the Redis data nodes behind Sentinel or in Cluster (prefer PARLEY_REDIS_PASSWORD)")
	fs.StringVar(&f.dataDir, "data.dir", "", "data directory")
	fs.StringVar(&f.ingressListen, "ingress.listen", "", "webhook listen address")
	fs.StringVar(&f.channelsListen, "channels.listen", "", "admin gRPC listen address")
	fs.StringVar(&f.logLevel, "log.level", "", "debug, info, warn or error")
	fs.StringVar(&f.opsListen, "ops.listen", "", "address of /livez, /readyz and /metrics")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := envOverrides(fs, os.LookupEnv); err != nil {
		return nil, nil, err
	}
	return f, fs, nil
}

// envOverrides gives every flag not set on the command line the value of
// its PARLEY_ variable (-nats.url reads PARLEY_NATS_URL), so containers can
// be configured by environment alone.
func envOverrides(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := "PARLEY_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(f.Name))
		if v, ok := lookup(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

func (f *serveFlags) apply(cfg *app.Config) {
	overlay := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	overlay(&cfg.NATS.URL, f.natsURL)
	overlay(&cfg.NATS.Embedded.Listen, f.natsListen)
	overlay(&cfg.Redis.URL, f.redisURL)
	overlay(&cfg.Redis.Sentinel.MasterName, f.redisSentinelMaster)
	overlay(&cfg.Redis.Sentinel.Password, f.redisSentinelPassword)
	overlay(&cfg.Redis.Password, f.redisPassword)
	overlayList := func(dst *[]string, v string) {
		if v != "" {
			*dst = splitList(v)
		}
	}
	overlayList(&cfg.Redis.Sentinel.Addrs, f.redisSentinelAddrs)
	overlayList(&cfg.Redis.Cluster.Addrs, f.redisClusterAddrs)
	overlay(&cfg.DataDir, f.dataDir)
	overlay(&cfg.Ingress.Listen, f.ingressListen)
	overlay(&cfg.Channels.Listen, f.channelsListen)
	overlay(&cfg.Log.Level, f.logLevel)
	overlay(&cfg.Ops.Listen, f.opsListen)
	// Only ever turns production on: a flag cannot lift the config's.
	cfg.Production = cfg.Production || f.production
}

// splitList reads a comma-separated flag value, ignoring blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, _, err := parseServeFlags(args, stderr)
	if err != nil {
		return 2
	}
	cfg, err := app.Load(f.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "parley: %v\n", err)
		return 1
	}
	f.apply(&cfg)
	cfg.Log.Defaults()
	log := logx.New(cfg.Log, stderr)
	a, err := app.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "parley: invalid configuration:\n%v\n", err)
		return 1
	}
	if f.listTargets {
		fmt.Fprintln(stdout, strings.Join(a.Targets(), "\n"))
		return 0
	}
	if f.verify {
		fmt.Fprintln(stdout, "configuration is valid")
		return 0
	}
	a.Started = func(name string, svc run.Service) {
		if name != app.Ingress {
			return
		}
		go func() {
			select {
			case <-svc.(run.Ready).Ready():
				printBanner(stdout, a.Cfg, f.configFile, svc.(interface{ Addr() net.Addr }).Addr())
			case <-ctx.Done():
			}
		}()
	}
	targets := strings.Split(f.targets, ",")
	for i := range targets {
		targets[i] = strings.TrimSpace(targets[i])
	}

	// Telemetry: traces only when OTEL_* configures an exporter; metrics
	// always, on the ops server's /metrics.
	providers, err := otelx.Setup(ctx, "parley-"+strings.Join(targets, "-"))
	if err != nil {
		log.Error("telemetry", slog.Any("err", err))
		return 1
	}
	defer func() {
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = providers.Shutdown(shutdown)
	}()
	ops, err := opsserver.New(a.Cfg.Ops, opsserver.Deps{Logger: log, Metrics: providers.MetricsHandler()})
	if err != nil {
		log.Error("ops server", slog.Any("err", err))
		return 1
	}
	a.Tracer, a.Meter = providers.TracerProvider, providers.MeterProvider
	// Before the ops server answers: /readyz is 503 until every target serves.
	if err := a.SetChecks(ops); err != nil {
		log.Error("ops server", slog.Any("err", err))
		return 1
	}
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	opsDone := make(chan error, 1)
	go func() { opsDone <- ops.Run(opsCtx) }()
	defer func() {
		stopOps()
		if err := <-opsDone; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("ops server", slog.Any("err", err))
		}
	}()

	// On SIGTERM /readyz fails first; the services stop after the delay,
	// so load balancers stop sending before the listeners close.
	runCtx, cancelRun := ops.StopContext(ctx)
	defer cancelRun()
	if err := a.Run(runCtx, targets); err != nil {
		log.Error("parley stopped", slog.Any("err", err))
		return 1
	}
	return 0
}

func printBanner(w io.Writer, cfg app.Config, configFile string, addr net.Addr) {
	base := "http://" + addr.String()
	fmt.Fprintf(w, "\nParley is listening on %s\n", base)
	cfgFlag := ""
	if configFile != "" {
		cfgFlag = " -config.file " + configFile
	}
	for _, in := range cfg.Registry.Instances {
		url := base + "/chatbot/hooks/" + in.BotID
		if in.InstanceID != "" {
			url += "/hookInstance/" + in.InstanceID
		}
		fmt.Fprintf(w, "\n  Webhook %q (%s, bot %s)\n    URL:       %s\n    Client ID: %s\n", in.Name, in.Mode, in.BotID, url, in.App)
		fmt.Fprintf(w, "    Token:     go run ./cmd/parley token%s --app %s --user alice\n", cfgFlag, in.App)
	}
	fmt.Fprintf(w, "\n  Try it:\n    TOKEN=$(go run ./cmd/parley token%s --user alice)\n", cfgFlag)
	if len(cfg.Registry.Instances) > 0 {
		in := cfg.Registry.Instances[0]
		fmt.Fprintf(w, "    curl -s %s/chatbot/hooks/%s -H \"Authorization: bearer $TOKEN\" -H 'Content-Type: application/json' \\\n      -d '{\"message\":{\"text\":\"show my balance\"},\"from\":{\"id\":\"alice\"}}'\n", base, in.BotID)
	}
	fmt.Fprintf(w, "    or talk to it: go run ./cmd/parley chat%s\n\n", cfgFlag)
}
