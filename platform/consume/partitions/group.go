// Package partitions runs a partitioned JetStream consumer group: each
// partition of a stream is consumed by exactly one live member at a time,
// and inside a partition each key (conversation) gets a lane (see
// consume.Lanes) whose messages run strictly in stream order while other
// keys run in parallel. What becomes of each message (ack, retry, term) is
// decided by the consume package; this one decides who consumes what.
//
// Ownership is a lease in a JetStream KV bucket whose MaxAge is the lease
// TTL: members heartbeat members.<id>; the owner of partition p holds
// owner.<p> (created with Create, refreshed with a revision-checked Update)
// and loses it if it stops refreshing. The target owner of p is chosen by
// rendezvous hashing over the live members, so adding or removing a member
// moves only its share. A member giving up a partition stops pulling,
// finishes the messages it was handed, and only then deletes its claim; a
// member that crashed leaves un-acked messages behind, so the next owner
// rewinds the consumer to its ack floor and replays from there in order.
// Already-applied messages in that replay are recognised by the handler
// (the dialog service fences session writes with the stream sequence).
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
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"

	"github.com/parleyhq/parley/platform/consume"
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

	kv      jetstream.KeyValue
	ready   chan struct{}
	mu      sync.Mutex
	members map[string]time.Time
	owned   map[int]*partitionRun

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
func (g *Group) Run(ctx context.Context) error {
	setup, cancel := context.WithTimeout(ctx, 15*time.Second)
	kv, err := g.js.CreateOrUpdateKeyValue(setup, jetstream.KeyValueConfig{
		Bucket:      g.cfg.LeaseBucket,
		Description: "Parley partition leases",
		TTL:         g.cfg.LeaseTTL,
		History:     1,
		Storage:     jetstream.MemoryStorage,
		Replicas:    g.cfg.Replicas,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("lease bucket %s: %w", g.cfg.LeaseBucket, err)
	}
	g.kv = kv
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watcher, err := kv.Watch(watchCtx, g.memberKey("*"))
	if err != nil {
		return fmt.Errorf("watch members: %w", err)
	}
	if err := g.heartbeat(ctx); err != nil {
		return err
	}
	// Learn the current members before the first assignment, so that a
	// joining member does not briefly claim partitions meant for others.
	for initial := true; initial; {
		select {
		case e, ok := <-watcher.Updates():
			if !ok {
				return errors.New("member watch closed during start")
			}
			if e == nil {
				initial = false
			} else {
				g.noteMember(e)
			}
		case <-ctx.Done():
			return nil
		}
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
		g.releaseAll()
		stopSampling()
		<-sampled
		g.metrics.left(context.WithoutCancel(ctx))
	}
	for {
		select {
		case <-ctx.Done():
			leave()
			return nil
		case e, ok := <-watcher.Updates():
			if !ok {
				if ctx.Err() != nil {
					leave()
					return nil
				}
				// The server ended the watch (a restart, a leader change):
				// watch again; membership is also refreshed by heartbeats.
				g.log.Warn("member watch closed; re-establishing")
				if watcher, err = kv.Watch(watchCtx, g.memberKey("*")); err != nil {
					return fmt.Errorf("watch members: %w", err)
				}
				continue
			}
			if e != nil && g.noteMember(e) {
				g.rebalance(ctx)
			}
		case <-tick.C:
			if err := g.heartbeat(ctx); err != nil {
				g.log.Warn("heartbeat failed", "err", err)
			}
			g.rebalance(ctx)
		}
	}
}

func (g *Group) memberKey(id string) string { return "members." + g.cfg.Group + "." + id }
func (g *Group) claimKey(p int) string      { return "owner." + g.cfg.Group + "." + strconv.Itoa(p) }

func (g *Group) heartbeat(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, g.cfg.LeaseTTL/2)
	defer cancel()
	if _, err := g.kv.Put(c, g.memberKey(g.cfg.MemberID), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	g.mu.Lock()
	g.members[g.cfg.MemberID] = time.Now()
	g.mu.Unlock()
	return nil
}

// noteMember records a membership event and reports whether the set changed.
func (g *Group) noteMember(e jetstream.KeyValueEntry) bool {
	id := e.Key()[strings.LastIndexByte(e.Key(), '.')+1:]
	g.mu.Lock()
	defer g.mu.Unlock()
	_, known := g.members[id]
	if e.Operation() != jetstream.KeyValuePut {
		delete(g.members, id)
		return known
	}
	g.members[id] = time.Now()
	return !known
}

// alive lists members heard from within one lease TTL. Expiry by MaxAge
// produces no watch event, so silence is what marks a member as gone.
func (g *Group) alive() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	cutoff := time.Now().Add(-g.cfg.LeaseTTL)
	var out []string
	for id, seen := range g.members {
		if seen.After(cutoff) || id == g.cfg.MemberID {
			out = append(out, id)
		} else {
			delete(g.members, id)
		}
	}
	sort.Strings(out)
	return out
}

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
		case run != nil && !want:
			g.release(p, run)
		case run != nil:
			if err := run.refresh(ctx, g.kv); err != nil {
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
	rev, err := g.kv.Create(c, g.claimKey(p), []byte(g.cfg.MemberID))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			g.log.Warn("claim partition", "partition", p, "err", err)
		}
		return // held by another member until it releases or its lease expires
	}
	run := &partitionRun{g: g, p: p, rev: rev, done: make(chan struct{})}
	if err := run.start(ctx); err != nil {
		g.log.Error("start partition", "partition", p, "err", err)
		_ = g.kv.Delete(c, g.claimKey(p), jetstream.LastRevision(rev))
		return
	}
	g.mu.Lock()
	g.owned[p] = run
	g.mu.Unlock()
	g.log.Debug("partition acquired", "partition", p)
}

func (g *Group) forget(p int, run *partitionRun) {
	g.mu.Lock()
	if g.owned[p] == run {
		delete(g.owned, p)
	}
	g.mu.Unlock()
}

// release drains p in the background and then deletes the claim.
func (g *Group) release(p int, run *partitionRun) {
	run.markReleasing()
	go func() {
		run.drain(g.cfg.DrainTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), g.cfg.LeaseTTL)
		defer cancel()
		if err := g.kv.Delete(ctx, g.claimKey(p), jetstream.LastRevision(run.revision())); err != nil {
			g.log.Warn("release partition", "partition", p, "err", err)
		}
		g.forget(p, run)
		g.log.Debug("partition released", "partition", p)
	}()
}

func (g *Group) releaseAll() {
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
			ctx, cancel := context.WithTimeout(context.Background(), g.cfg.LeaseTTL)
			defer cancel()
			_ = g.kv.Delete(ctx, g.claimKey(p), jetstream.LastRevision(r.revision()))
			g.forget(p, r)
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.LeaseTTL)
	defer cancel()
	_ = g.kv.Delete(ctx, g.memberKey(g.cfg.MemberID))
}
