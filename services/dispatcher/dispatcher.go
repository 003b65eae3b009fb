// Package dispatcher delivers asynchronous replies to each webhook channel's
// POST_URL: one POST per bot message, then the end-of-task status as a
// separate last message (contract §5, §11.1–11.3), each signed with Standard
// Webhooks headers and retried until it is delivered or dead-lettered.
//
// It consumes PARLEY_OUT through platform/consume/partitions (group
// "dispatcher"): each partition is owned by one replica, and inside it each
// conversation has a lane, so a user's messages arrive in the order the bot
// produced them, a message being retried holds back only that user's later
// ones, and different users deliver in parallel. See internal/delivery for
// the retry, once-in-effect and holding rules.
//
// State lives in JetStream so that every replica agrees:
//   - <prefix>parley_delivered (KV, TTL delivered_ttl): message ids delivered
//     or dead-lettered, checked before each POST;
//   - <prefix>parley_endpoints (KV): channels disabled after 410 Gone or
//     continuous failure, and each failing channel's run of failures;
//   - <prefix>PARLEY_DLQ (stream, subjects <prefix>.parley.dlq.<bot>.<inst>):
//     dead letters as parley.dispatcher.v1.DeadLetter.
//
// Libraries: github.com/sony/gobreaker/v2 for the per-endpoint circuit
// breaker (rolling window, half-open probe); the retry schedule is an
// explicit list with proportional jitter (contract §11.2), written out
// rather than taken from a backoff library because the schedule, not a
// formula, is the contract. Webhook signatures are in the standalone
// webhooksig package, which receivers can import.
//
// Delivery is at least once: a message is POSTed again when its answer was
// lost (a timeout, a crash between the POST and the ledger), and a replayed
// dead letter keeps its webhook-id, so receivers de-duplicate on it
// (webhooksig.Deduper).
//
// The dispatcher opens no admin port. Its replicas answer DeadLetterAdmin
// and ProactiveAdmin on the bus, and the admin endpoint (the channels
// service) serves them behind its authentication through AdminService.
package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/adminbus"
	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/consume"
	"github.com/parleyhq/parley/platform/consume/partitions"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/dispatcher/internal/admin"
	"github.com/parleyhq/parley/services/dispatcher/internal/delivery"
	"github.com/parleyhq/parley/services/dispatcher/internal/dlq"
	"github.com/parleyhq/parley/services/dispatcher/internal/httpout"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// Deps are what the dispatcher is given.
type Deps struct {
	Bus      *bus.Conn
	Registry registry.View
	Logger   *slog.Logger
	// Meter receives the delivery metrics; nil means none.
	Meter metric.MeterProvider
	// Tracer gives each reply a CONSUMER span continuing the turn's trace,
	// and each POST a CLIENT span; nil means none.
	Tracer trace.TracerProvider
}

// Service is a running dispatcher.
type Service struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	ready chan struct{}
	admin *admin.Server

	dlq       atomic.Pointer[dlq.Store]
	endpoints atomic.Pointer[delivery.Endpoints]
	group     atomic.Pointer[partitions.Group]
}

// New validates the configuration and the channels' signing secrets; it
// opens nothing.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil || deps.Registry == nil || deps.Logger == nil {
		return nil, errors.New("dispatcher: bus, registry and logger are required")
	}
	var errs []error
	for i, in := range deps.Registry.Instances() {
		for j, sec := range in.SigningSecrets {
			if _, err := webhooksig.DecodeSecret(sec); err != nil {
				errs = append(errs, fmt.Errorf("registry.instances[%d].signing_secrets[%d]: %w", i, j, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, deps: deps, ready: make(chan struct{}), log: deps.Logger.With("service", "dispatcher", "member", cfg.MemberID)}
	s.admin = &admin.Server{Backend: backend{s}, Conn: deps.Bus, Registry: deps.Registry, Log: s.log}
	return s, nil
}

type backend struct{ s *Service }

func (b backend) DeadLetters() *dlq.Store        { return b.s.dlq.Load() }
func (b backend) Endpoints() *delivery.Endpoints { return b.s.endpoints.Load() }

// Ready is closed once the replica consumes.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// AdminService is the dispatcher's admin services for the admin endpoint:
// DeadLetterAdmin and ProactiveAdmin, each call carried over conn to a
// running dispatcher replica, with the role each method needs. Calls fail
// with Unavailable while no replica runs.
func AdminService(conn *bus.Conn) adminauth.Service {
	cc := &adminbus.Client{NC: conn.NC, Root: conn.Cfg.Subject(bus.SubjectAdmin)}
	return adminauth.Service{
		Register: func(g *grpc.Server) { admin.RegisterRemote(g, cc) },
		Policy:   admin.Policy,
	}
}

// OwnedPartitions lists the partitions this replica consumes now.
func (s *Service) OwnedPartitions() []int {
	if g := s.group.Load(); g != nil {
		return g.Owned()
	}
	return nil
}

// ChannelDisabled reports whether a channel was disabled by a 410.
func (s *Service) ChannelDisabled(botID, instanceID string) bool {
	eps := s.endpoints.Load()
	inst, ok := s.deps.Registry.Instance(botID, instanceID)
	if eps == nil || !ok {
		return false
	}
	_, off := eps.Disabled(inst)
	return off
}

// BreakerState returns the circuit state of a channel ("closed",
// "half-open", "open"), for tests and diagnostics.
func (s *Service) BreakerState(botID, instanceID string) string {
	eps := s.endpoints.Load()
	inst, ok := s.deps.Registry.Instance(botID, instanceID)
	if eps == nil || !ok {
		return ""
	}
	return eps.State(inst).String()
}

// Run delivers until ctx is done, then lets POSTs under way finish (up to
// drain_timeout) and leaves the rest to the next owner.
func (s *Service) Run(ctx context.Context) error {
	conn := s.deps.Bus
	metrics, err := delivery.NewMetrics(s.deps.Meter)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var st stores
	// NATS may not be there yet: wait for it, not ready, rather than exit.
	if err := run.Retry(ctx, s.log, "dispatcher setup", func(ctx context.Context) (err error) {
		st, err = s.open(ctx, watchCtx, metrics)
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	store, ledger, eps := st.dlq, st.ledger, st.endpoints
	client := httpout.New(httpout.Options{
		Timeout: s.cfg.PerAttemptTimeout, MaxResponseBytes: s.cfg.MaxResponseBytes,
		AllowPrivate: s.cfg.AllowPrivateNetworks, MaxConnsPerHost: s.cfg.MaxConcurrency,
		Tracer: s.deps.Tracer, Meter: s.deps.Meter,
	})
	defer client.CloseIdle()
	s.dlq.Store(store)
	s.endpoints.Store(eps)

	engine := delivery.New(delivery.Settings{
		Schedule: s.cfg.RetrySchedule, Jitter: s.cfg.Jitter, MaxAge: s.cfg.MaxRetryDuration, DisableAfter: s.cfg.DisableAfter,
		Progress: s.cfg.AckWait / 3, Hold: 2*s.cfg.MaxRetryDuration + s.cfg.AckWait,
	}, delivery.Deps{
		Registry: s.deps.Registry, Client: client, Ledger: ledger, DLQ: store, Endpoints: eps,
		Metrics: metrics, Logger: s.log,
	}, ctx.Done())
	// Each reply gets a CONSUMER span continuing the turn's trace, so the
	// POSTs below it join that trace.
	handler := consume.Traced(engine.Handle, s.deps.Tracer, conn.Cfg.Subject(bus.SubjectReplies))
	group, err := partitions.New(conn.JS, partitions.Config{
		Group:        "dispatcher",
		Stream:       conn.Cfg.Name(bus.StreamReplies),
		SubjectRoot:  conn.Cfg.Subject(bus.SubjectReplies),
		Partitions:   conn.Cfg.Partitions,
		MemberID:     s.cfg.MemberID,
		LeaseBucket:  conn.Cfg.Name(bus.BucketLeases),
		LeaseTTL:     s.cfg.LeaseTTL,
		AckWait:      s.cfg.AckWait,
		MaxInFlight:  s.cfg.MaxInFlight,
		DrainTimeout: s.cfg.DrainTimeout,
		Replicas:     conn.Cfg.Replicas,
		Repair:       conn.Repair,
		KeyOf:        engine.KeyOf,
		Meter:        s.deps.Meter,
		// Consumer lag is sampled as often as the dead letters.
		MetricsInterval: s.cfg.MetricsInterval,
	}, handler, s.log)
	if err != nil {
		return err
	}
	s.group.Store(group)
	engine.Owned = group.Owned
	// The keep-alive runs until the group has drained, so held messages do
	// not time out during shutdown.
	keepCtx, stopKeep := context.WithCancel(context.WithoutCancel(ctx))
	defer stopKeep()
	go engine.KeepAlive(keepCtx)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sampleDeadLetters(sampleCtx, store, metrics, s.cfg.MetricsInterval, group.Owned, s.log)
	}()
	defer func() { stopSampling(); <-sampled }()

	// Admin calls run under their callers' deadlines, not ctx: stopAdmin
	// lets the calls under way finish after ctx is done.
	adminSrv, err := adminbus.Serve(conn.NC, conn.Cfg.Subject(bus.SubjectAdmin), "dispatcher", s.log, s.admin.BusServices()...) //nolint:contextcheck // see above
	if err != nil {
		return fmt.Errorf("admin services: %w", err)
	}
	defer s.stopAdmin(ctx, adminSrv)
	go func() {
		select {
		case <-group.Ready():
			close(s.ready)
		case <-ctx.Done():
		}
	}()
	s.log.Info("dispatcher consuming", "partitions", conn.Cfg.Partitions, "schedule", fmt.Sprint(s.cfg.RetrySchedule))
	return group.Run(ctx)
}

// stopAdmin leaves the admin calls to other replicas and gives those under
// way the drain timeout to finish.
// stopAdmin stops the admin server once ctx is done, giving the calls under
// way the drain timeout to finish.
func (s *Service) stopAdmin(ctx context.Context, srv *adminbus.Server) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.DrainTimeout)
	defer cancel()
	srv.Stop(ctx)
}

// stores are what the dispatcher keeps in JetStream.
type stores struct {
	dlq       *dlq.Store
	ledger    *delivery.Ledger
	endpoints *delivery.Endpoints
}

// open sets up the streams and stores and loads the endpoint states,
// which it then follows until watchCtx ends; Run retries it until NATS
// answers.
func (s *Service) open(ctx, watchCtx context.Context, metrics *delivery.Metrics) (stores, error) {
	conn := s.deps.Bus
	if err := conn.EnsureStreams(ctx); err != nil {
		return stores{}, err
	}
	store, err := dlq.Open(ctx, conn, s.cfg.DLQMaxAge)
	if err != nil {
		return stores{}, err
	}
	ledger, err := delivery.OpenLedger(ctx, conn.JS, conn.Cfg.Name("parley_delivered"), conn.Cfg.Replicas, s.cfg.DeliveredTTL)
	if err != nil {
		return stores{}, err
	}
	b := s.cfg.Breaker
	eps, err := delivery.NewEndpoints(ctx, conn.JS, conn.Cfg.Name("parley_endpoints"), conn.Cfg.Replicas,
		delivery.BreakerSettings{FailureRatio: b.FailureRatio, MinRequests: uint32(b.MinRequests), Window: b.Window, OpenTimeout: b.OpenTimeout},
		s.cfg.MaxConcurrency, metrics, s.log)
	if err != nil {
		return stores{}, err
	}
	if err := eps.Watch(watchCtx); err != nil {
		return stores{}, err
	}
	return stores{dlq: store, ledger: ledger, endpoints: eps}, nil
}

// Check is the replica's readiness: it has joined the consumer group and
// its heartbeats reach the lease bucket.
func (s *Service) Check(ctx context.Context) error {
	select {
	case <-s.ready:
		return s.group.Load().Check(ctx)
	default:
		return errors.New("dispatcher: not consuming yet")
	}
}
