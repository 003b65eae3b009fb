package partitions

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"

	"github.com/parleyhq/parley/platform/consume"
	"github.com/parleyhq/parley/platform/run"
)

// Config of a consumer group.
type Config struct {
	// Group names the consumers (<Group>-p<NN>) and the lease keys.
	Group string
	// Stream is the stream's full name.
	Stream string
	// SubjectRoot is the subject root before the partition token.
	SubjectRoot string
	Partitions  int
	// MemberID identifies this replica; unique per process.
	MemberID string
	// LeaseBucket is the KV bucket holding memberships and claims.
	LeaseBucket string
	LeaseTTL    time.Duration
	// AckWait must exceed the longest message handling; lanes also signal
	// progress while they retry.
	AckWait time.Duration
	// MaxInFlight bounds the messages handed out per partition.
	MaxInFlight int
	// DrainTimeout bounds how long a released partition may take to finish.
	DrainTimeout time.Duration
	Replicas     int
	// Repair, when set, is called when a partition's stream is missing, to
	// have it created again (bus.Conn.Repair).
	Repair func()
	// KeyOf extracts the lane key; default: the subject's last token.
	KeyOf func(jetstream.Msg) string
	// Meter, when set, receives the group's metrics: partitions owned and
	// configured (recorded on every rebalance) and the pending and
	// ack-pending counts of each owned partition's consumer.
	Meter metric.MeterProvider
	// MetricsInterval is how often the owned consumers are sampled
	// (default 15s).
	MetricsInterval time.Duration
}

func (c *Config) defaults() {
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.AckWait == 0 {
		c.AckWait = 60 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 64
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MetricsInterval == 0 {
		c.MetricsInterval = 15 * time.Second
	}
	if c.KeyOf == nil {
		c.KeyOf = func(m jetstream.Msg) string {
			s := m.Subject()
			return s[strings.LastIndexByte(s, '.')+1:]
		}
	}
}

// Group is a running member of a consumer group.
type Group struct {
	cfg     Config
	js      jetstream.JetStream
	handler consume.Handler
	log     *slog.Logger
	metrics *metrics

	kv       jetstream.KeyValue
	ready    chan struct{}
	lastBeat atomic.Int64 // unix nanoseconds of the last heartbeat stored
	mu       sync.Mutex
	members  map[string]time.Time
	owned    map[int]*partitionRun

	// What the last "partitions rebalanced" log said (rebalance goroutine).
	reportedOwned, reportedMembers int
}

// New validates cfg; it opens nothing until Run.
func New(js jetstream.JetStream, cfg Config, h consume.Handler, log *slog.Logger) (*Group, error) {
	cfg.defaults()
	switch {
	case cfg.Group == "" || cfg.Stream == "" || cfg.SubjectRoot == "" || cfg.LeaseBucket == "":
		return nil, errors.New("partitions: group, stream, subject root and lease bucket are required")
	case cfg.Partitions < 1:
		return nil, errors.New("partitions: partitions must be positive")
	case cfg.MemberID == "" || strings.ContainsAny(cfg.MemberID, ". *>"):
		return nil, fmt.Errorf("partitions: member id %q must be non-empty without '.', '*', '>' or spaces", cfg.MemberID)
	case cfg.MetricsInterval < 0:
		return nil, errors.New("partitions: metrics interval must not be negative")
	}
	m, err := newMetrics(cfg)
	if err != nil {
		return nil, err
	}
	return &Group{
		cfg: cfg, js: js, handler: h, log: log.With("group", cfg.Group, "member", cfg.MemberID), metrics: m,
		ready: make(chan struct{}), members: map[string]time.Time{}, owned: map[int]*partitionRun{},
	}, nil
}

// Ready is closed once the member has joined and run its first assignment.
func (g *Group) Ready() <-chan struct{} { return g.ready }

// Owned lists the partitions this member consumes now.
func (g *Group) Owned() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]int, 0, len(g.owned))
	for p := range g.owned {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// Run joins the group and consumes until ctx is done, then drains the owned
// partitions and releases them so other members take over at once.
//
// Run returns only when ctx ends: it waits for NATS, the lease bucket and
// the member watch as long as it takes (retrying with backoff), and rides
// through NATS restarts and lost buckets, creating the bucket again.
func (g *Group) Run(ctx context.Context) error {
	if run.Retry(ctx, g.log, "open lease bucket", g.openBucket) != nil {
		return nil // stopped while waiting
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var watcher jetstream.KeyWatcher
	join := func(ctx context.Context) (err error) {
		watcher, err = g.join(ctx, watchCtx)
		if err != nil {
			g.repairBucket(ctx, err)
		}
		return err
	}
	if run.Retry(ctx, g.log, "join group", join) != nil {
		return nil
	}
	tick := time.NewTicker(g.cfg.LeaseTTL / 3)
	defer tick.Stop()
	g.rebalance(ctx)
	close(g.ready)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	sampled := make(chan struct{})
	go func() { defer close(sampled); g.sampleConsumers(sampleCtx) }()
	// leave hands the partitions over and reports them released.
	leave := func() {
		g.releaseAll(ctx)
		stopSampling()
		<-sampled
		g.metrics.left(context.WithoutCancel(ctx))
	}
	for {
		var updates <-chan jetstream.KeyValueEntry // nil (never ready) without a watch
		if watcher != nil {
			updates = watcher.Updates()
		}
		select {
		case <-ctx.Done():
			leave()
			return nil
		case e, ok := <-updates:
			if !ok {
				// The server ended the watch (a restart, a lost bucket):
				// watch again on the next tick; until then membership is
				// kept by heartbeats and claims still exclude double owners.
				g.log.Warn("member watch closed; watching again")
				watcher = nil
				continue
			}
			if e != nil && g.noteMember(e) {
				g.rebalance(ctx)
			}
		case <-tick.C:
			if watcher == nil {
				watcher = g.rewatch(ctx, watchCtx)
			}
			if err := g.heartbeat(ctx); err != nil {
				g.log.Warn("heartbeat failed", "err", err)
				g.repairBucket(ctx, err)
			}
			g.rebalance(ctx)
		}
	}
}

func (g *Group) claimKey(p int) string { return "owner." + g.cfg.Group + "." + strconv.Itoa(p) }

// Target returns the member that should own partition p among members.
func Target(p int, members []string) string {
	var best string
	var bestScore uint64
	for _, m := range members {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", m, p))
		if s := binary.BigEndian.Uint64(sum[:8]); best == "" || s > bestScore {
			best, bestScore = m, s
		}
	}
	return best
}

func (g *Group) rebalance(ctx context.Context) {
	members := g.alive()
	defer func() {
		// Released partitions leave the owned set when their drain ends,
		// between two rebalances: compare with what was last reported.
		after := len(g.Owned())
		g.metrics.partitions(context.WithoutCancel(ctx), after)
		if after != g.reportedOwned || len(members) != g.reportedMembers {
			g.reportedOwned, g.reportedMembers = after, len(members)
			g.log.Info("partitions rebalanced", "owned", after, "members", len(members))
		}
	}()
	for p := 0; p < g.cfg.Partitions; p++ {
		if ctx.Err() != nil {
			return // stopping: releaseAll hands the partitions over
		}
		want := Target(p, members) == g.cfg.MemberID
		g.mu.Lock()
		run := g.owned[p]
		g.mu.Unlock()
		switch {
		case run != nil && run.releasing():
			// Keep the claim alive while draining so that nobody replays
			// the messages this member is still finishing.
			_ = run.refresh(ctx, g.kv)
		case run != nil && run.broken():
			// The server ended the consumer (deleted, or its stream lost):
			// give the partition up; the next claim creates it again.
			g.log.Warn("partition consumer stopped; starting it again", "partition", p)
			run.abort()
			g.deleteClaim(ctx, p, run.revision())
			g.forget(p, run)
		case run != nil && !want:
			g.release(ctx, p, run)
		case run != nil:
			if err := run.refresh(ctx, g.kv); err != nil && run.lost(err) {
				g.log.Warn("lost partition lease", "partition", p, "err", err)
				run.abort()
				g.forget(p, run)
			}
		case want:
			g.claim(ctx, p)
		}
	}
}

func (g *Group) claim(ctx context.Context, p int) {
	c, cancel := context.WithTimeout(ctx, g.cfg.LeaseTTL/2)
	defer cancel()
	claimedAt := time.Now()
	rev, err := g.kv.Create(c, g.claimKey(p), []byte(g.cfg.MemberID))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			g.log.Warn("claim partition", "partition", p, "err", err)
		}
		return // held by another member until it releases or its lease expires
	}
	run := &partitionRun{g: g, p: p, rev: rev, validUntil: g.leaseEnd(claimedAt), done: make(chan struct{})}
	if err := run.start(ctx); err != nil {
		g.log.Error("start partition", "partition", p, "err", err)
		if errors.Is(err, jetstream.ErrStreamNotFound) && g.cfg.Repair != nil {
			g.cfg.Repair()
		}
		_ = g.kv.Delete(c, g.claimKey(p), jetstream.LastRevision(rev))
		return
	}
	g.mu.Lock()
	g.owned[p] = run
	g.mu.Unlock()
	g.log.Debug("partition acquired", "partition", p)
}

// leaseEnd is when a claim written at sent may have expired on the server:
// two thirds of the TTL after the write was sent, a margin for the time
// the write took and for the server's clock running ahead.
func (g *Group) leaseEnd(sent time.Time) time.Time {
	return sent.Add(g.cfg.LeaseTTL * 2 / 3)
}

// deleteClaim gives up the claim on p. It runs to its own deadline even when
// ctx ends meanwhile, so that another member can claim p at once.
func (g *Group) deleteClaim(ctx context.Context, p int, rev uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.LeaseTTL/2)
	defer cancel()
	_ = g.kv.Delete(ctx, g.claimKey(p), jetstream.LastRevision(rev))
}

func (g *Group) forget(p int, run *partitionRun) {
	g.mu.Lock()
	if g.owned[p] == run {
		delete(g.owned, p)
	}
	g.mu.Unlock()
}

// release drains p in the background and then deletes the claim. The
// hand-over is detached from ctx: it finishes even when the group stops
// meanwhile.
func (g *Group) release(ctx context.Context, p int, run *partitionRun) {
	run.markReleasing()
	detached := context.WithoutCancel(ctx)
	go func() {
		run.drain(g.cfg.DrainTimeout)
		ctx, cancel := context.WithTimeout(detached, g.cfg.LeaseTTL)
		defer cancel()
		if err := g.kv.Delete(ctx, g.claimKey(p), jetstream.LastRevision(run.revision())); err != nil {
			g.log.Warn("release partition", "partition", p, "err", err)
		}
		g.forget(p, run)
		g.log.Debug("partition released", "partition", p)
	}()
}

// releaseAll hands every owned partition over and leaves the group. It runs
// once ctx is done, so its deletions get deadlines of their own.
func (g *Group) releaseAll(ctx context.Context) {
	detached := context.WithoutCancel(ctx)
	g.mu.Lock()
	runs := make(map[int]*partitionRun, len(g.owned))
	for p, r := range g.owned {
		runs[p] = r
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for p, r := range runs {
		wg.Go(func() {
			r.markReleasing()
			r.drain(g.cfg.DrainTimeout)
			ctx, cancel := context.WithTimeout(detached, g.cfg.LeaseTTL)
			defer cancel()
			_ = g.kv.Delete(ctx, g.claimKey(p), jetstream.LastRevision(r.revision()))
			g.forget(p, r)
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(detached, g.cfg.LeaseTTL)
	defer cancel()
	_ = g.kv.Delete(ctx, g.memberKey(g.cfg.MemberID))
}
