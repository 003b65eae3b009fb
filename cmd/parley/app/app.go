// Package app composes Parley's services into one process. It holds no
// logic of its own: it builds each service from its config section and runs
// the requested targets through the module manager.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/natsembed"
	"github.com/parleyhq/parley/platform/opsserver"
	"github.com/parleyhq/parley/platform/redisx"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/dialog"
	"github.com/parleyhq/parley/services/dispatcher"
	"github.com/parleyhq/parley/services/ingress"
)

// Targets.
const (
	Bus        = "bus"      // invisible: the NATS connection (and embedded server)
	Store      = "store"    // invisible: the Redis client, when configured
	Registry   = "registry" // invisible: the registry view (static, or KV-watched)
	Ingress    = "ingress"
	Dialog     = "dialog"
	Dispatcher = "dispatcher"
	Channels   = "channels"
	All        = "all"
)

var deps = map[string][]string{
	Bus:        nil,
	Store:      nil,
	Registry:   {Bus},
	Ingress:    {Bus, Store, Registry},
	Dialog:     {Bus, Store, Registry},
	Dispatcher: {Bus, Registry},
	Channels:   {Bus, Registry},
	// Listed so that the ingress starts last and stops first: it takes
	// traffic only once the dialog replica is up, and on shutdown its
	// in-flight synchronous requests still find a dialog to answer them.
	All: {Channels, Dispatcher, Dialog, Ingress},
}

// App is a configured process.
type App struct {
	Cfg Config
	Log *slog.Logger
	// Started receives each service once it is built, for callers (tests,
	// the start banner) that need its address.
	Started func(name string, svc run.Service)
	// Tracer and Meter are given to every service; nil disables them.
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
	// Checks, when set (SetChecks), receives each dependency's and
	// service's readiness check for /readyz.
	Checks opsserver.Checks

	static  *registry.Static
	reg     registry.View
	watched *registry.Watched
	conn    *bus.Conn
	redis   redis.UniversalClient
	mgr     *run.Manager
}

// New validates cfg and prepares the modules.
func New(cfg Config, log *slog.Logger) (*App, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg, err := registry.NewStatic(cfg.Registry)
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, static: reg, reg: reg, Started: func(string, run.Service) {}}
	mods := []run.Module{
		{Name: Bus, Invisible: true, Init: a.initBus},
		{Name: Store, Invisible: true, Init: a.initStore},
		{Name: Registry, Invisible: true, Init: a.initRegistry},
		{Name: Ingress, Init: a.initIngress},
		{Name: Dialog, Init: a.initDialog},
		{Name: Dispatcher, Init: a.initDispatcher},
		{Name: Channels, Init: a.initChannels},
		{Name: All},
	}
	for i := range mods {
		mods[i].Deps = deps[mods[i].Name]
	}
	a.mgr = run.NewManager(log, mods...)
	return a, nil
}

// SetChecks makes checks receive the process's readiness: a "start" check,
// registered now, that fails until every target of Run serves, and then
// each dependency's and service's own check as it starts. Call it before
// the ops server answers, so that /readyz never passes early and does not
// flap while the modules register their checks.
func (a *App) SetChecks(checks opsserver.Checks) error {
	a.Checks = checks
	return checks.AddCheck("start", func(context.Context) error { return a.mgr.Starting() })
}

// Targets lists the selectable targets.
func (a *App) Targets() []string { return a.mgr.Targets() }

// Run runs targets until ctx is done.
func (a *App) Run(ctx context.Context, targets []string) error {
	return a.mgr.Run(ctx, targets)
}

// waitService runs until ctx is done and then calls stop.
type waitService struct{ stop func() }

func (w waitService) Run(ctx context.Context) error {
	<-ctx.Done()
	w.stop()
	return nil
}

func (a *App) initBus(context.Context) (run.Service, error) {
	cfg := a.Cfg.NATS.Config
	var opts []nats.Option
	var srv *natsembed.Server
	if cfg.URL == "" {
		if err := os.MkdirAll(a.Cfg.NATS.Embedded.StoreDir, 0o750); err != nil {
			return nil, fmt.Errorf("data_dir: %w", err)
		}
		var err error
		if srv, err = natsembed.Start(a.Cfg.NATS.Embedded); err != nil {
			return nil, err
		}
		opts = append(opts, srv.ConnectOption())
		a.Log.Info("embedded NATS JetStream started", "store_dir", a.Cfg.NATS.Embedded.StoreDir, "client_url", srv.ClientURL())
	}
	// Connect does not wait for the server: the services wait for it, and
	// the process stays up and not ready meanwhile.
	conn, err := bus.Connect(cfg, "parley", a.Log, opts...) //nolint:contextcheck // the connection and its supervisor live until Close, past the start context
	if err != nil {
		if srv != nil {
			srv.Shutdown()
		}
		return nil, err
	}
	a.conn = conn
	a.addCheck("nats", conn.Check)
	return waitService{stop: func() {
		conn.Close()
		if srv != nil {
			srv.Shutdown()
		}
	}}, nil
}

// initStore builds the Redis client, when one is configured. It opens no
// connection: Redis may come up after Parley, and until it answers, the
// "redis" readiness check fails, the ingress refuses the requests that need
// it with 503 and the dialog retries its turns. The process never exits for
// a Redis that may come back.
func (a *App) initStore(context.Context) (run.Service, error) {
	if !a.Cfg.Redis.Enabled() {
		return waitService{stop: func() {}}, nil
	}
	rdb, err := redisx.New(a.Cfg.Redis)
	if err != nil {
		return nil, err
	}
	a.redis = rdb
	a.addCheck("redis", opsserver.RedisCheck(rdb))
	return storeService{rdb: rdb, desc: a.Cfg.Redis.Describe(), log: a.Log}, nil
}

// storeService logs whether Redis is reachable and closes the client on
// stop.
type storeService struct {
	rdb  redis.UniversalClient
	desc string
	log  *slog.Logger
}

func (s storeService) Run(ctx context.Context) error {
	go redisx.LogReachable(ctx, s.rdb, s.desc, s.log)
	<-ctx.Done()
	_ = s.rdb.Close()
	return nil
}

func (a *App) initIngress(context.Context) (run.Service, error) {
	svc, err := ingress.New(a.Cfg.Ingress, ingress.Deps{Bus: a.conn, Registry: a.reg, Redis: a.redis, Logger: a.Log, Tracer: a.Tracer, Meter: a.Meter})
	if err != nil {
		return nil, fmt.Errorf("ingress: %w", err)
	}
	a.addCheck(Ingress, opsserver.ReadyCheck(svc.Ready()))
	a.Started(Ingress, svc)
	return svc, nil
}

func (a *App) initDialog(context.Context) (run.Service, error) {
	deps := dialog.Deps{Bus: a.conn, Registry: a.reg, Redis: a.redis, Logger: a.Log, Tracer: a.Tracer, Meter: a.Meter}
	if a.watched != nil {
		deps.BotUpdates = a.watched
	}
	svc, err := dialog.New(a.Cfg.Dialog, deps)
	if err != nil {
		return nil, fmt.Errorf("dialog: %w", err)
	}
	a.addCheck(Dialog, svc.Check)
	a.Started(Dialog, svc)
	return svc, nil
}

func (a *App) initDispatcher(context.Context) (run.Service, error) {
	svc, err := dispatcher.New(a.Cfg.Dispatcher, dispatcher.Deps{Bus: a.conn, Registry: a.reg, Logger: a.Log, Tracer: a.Tracer, Meter: a.Meter})
	if err != nil {
		return nil, fmt.Errorf("dispatcher: %w", err)
	}
	a.addCheck(Dispatcher, svc.Check)
	a.Started(Dispatcher, svc)
	return svc, nil
}

func (a *App) initChannels(context.Context) (run.Service, error) {
	svc, err := channels.New(a.Cfg.Channels, channels.Deps{
		Registry: a.static, Bus: a.conn, Bootstrap: a.Cfg.Registry, View: a.watched, Logger: a.Log,
		// One admin endpoint: the dispatcher's dead-letter and
		// proactive-message services are served beside the registry's,
		// behind the same tokens, and reach a dispatcher replica over the
		// bus, in this process or another.
		AdminServices: []adminauth.Service{dispatcher.AdminService(a.conn)},
	})
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	a.addCheck(Channels, opsserver.ReadyCheck(svc.Ready()))
	a.Started(Channels, svc)
	return svc, nil
}

func (a *App) addCheck(name string, c opsserver.Check) {
	if a.Checks == nil {
		return
	}
	if err := a.Checks.AddCheck(name, c); err != nil {
		a.Log.Warn("readiness check not registered", "check", name, "err", err)
	}
}

// initRegistry gives every service its registry view: the config file's
// (static), or the channels registry in JetStream KV, bootstrapped from the
// config and followed by a watch so that approvals, disables and rotations
// reach this process within a second.
func (a *App) initRegistry(ctx context.Context) (run.Service, error) {
	if a.Cfg.Channels.Store != channels.StoreKV {
		return waitService{stop: func() {}}, nil
	}
	// The first read waits for NATS and may be slow under load (bot
	// archives): it is retried, each attempt with a longer budget, and the
	// process stays not ready meanwhile.
	var w *registry.Watched
	attempt := 0
	err := run.Retry(ctx, a.Log, "load registry", func(ctx context.Context) (err error) {
		attempt++
		actx, cancel := context.WithTimeout(ctx, min(30*time.Second<<min(attempt-1, 4), 5*time.Minute))
		defer cancel()
		w, err = channels.OpenRegistry(actx, a.conn, a.Cfg.Channels, a.Cfg.Registry, filepath.Join(a.Cfg.DataDir, "bots"), a.Log)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	a.watched, a.reg = w, w
	return waitService{stop: w.Close}, nil
}
