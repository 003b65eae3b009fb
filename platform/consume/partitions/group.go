// Package partitions runs a partitioned JetStream consumer group: each
// partition of a stream is consumed by exactly one live member at a time,
// and inside a partition each key (conversation) gets a lane (see
// consume.Lanes) whose messages run strictly in stream order while other
// keys run in parallel. What becomes of each message (ack, retry, term) is
// decided by the consume package; this one decides who consumes what.
//
// Ownership is a lease in a file-backed, replicated JetStream KV bucket
// whose MaxAge is the lease TTL: members heartbeat members.<id>; the owner
// of partition p holds owner.<p> (created with Create, refreshed with a
// revision-checked Update) and loses it if it stops refreshing. The target
// owner of p is chosen by rendezvous hashing over the live members, so
// adding or removing a member moves only its share. A member giving up a
// partition stops pulling, finishes the messages it was handed, and only
// then deletes its claim; a member that crashed leaves un-acked messages
// behind, so the next owner rewinds the consumer to its ack floor and
// replays from there in order. Already-applied messages in that replay are
// recognised by the handler (the dialog service fences session writes with
// the stream sequence; the dispatcher skips what its ledger records).
//
// # NATS faults
//
// A member never exits for NATS: it waits for the bucket and the member
// watch with backoff, watches again when the server ends the watch, creates
// the bucket again when it disappeared, and restarts a partition whose
// consumer the server ended. A refresh that fails because the server is
// unreachable keeps the partition until the claim may have expired
// (two thirds of the TTL after its last successful write); a refresh the
// server refuses gives it up at once. Check reports whether the member's
// heartbeats reach the bucket, for readiness.
//
// # Why leases rather than JetStream's own coordination
//
// nats-server 2.11 brought priority groups with pinned clients (ADR-42),
// and orbit.go's pcgroups builds partitioned consumer groups on them. Both
// were weighed against these leases, and the leases were kept, because
// neither gives the same guarantees without home-made code around it:
//
//   - Pinned clients pick one puller per consumer, but do not spread
//     partitions: the first replica to pull pins every partition, and a
//     second replica gets nothing until the first dies. ADR-42 also says
//     pinning is not exclusive. Spreading the partitions still needs
//     membership and a target owner per partition, i.e. this package.
//   - A pin moves when its client stops pulling, while messages it was
//     handed are still un-acked; the new client then receives later
//     messages before those are redelivered, which breaks per-user order
//     unless MaxAckPending is 1. Here the next owner knows it takes over
//     and rewinds to the ack floor first, so a partition keeps one turn in
//     flight per conversation (lanes), not one per partition.
//   - pcgroups does keep order, by MaxAckPending 1 per partition: one turn
//     or one outbound POST at a time for every user of a partition. A
//     dispatcher message held on its retry schedule (minutes) would stall
//     every other user of its partition, and a dialog turn waiting on a
//     service call every conversation of its partition.
//   - pcgroups membership is administered: a static group's members are
//     fixed at creation, an elastic group's are added and dropped by calls.
//     A replica that dies is replaced only by a standby instance of the
//     same member name; Parley's replicas are interchangeable and come and
//     go with autoscaling, so someone would have to add and drop members on
//     liveness, which is what the heartbeats here do. Static groups also
//     need the partition as the subject's first token (Parley's comes after
//     the deployment prefix and the root), and elastic groups copy every
//     message into a work-queue stream of their own.
//   - Leases work on any JetStream server (the 2.9 of Debian included);
//     pinning needs 2.11.
//
// What changed instead is where the leases live: the bucket was
// memory-backed, so a NATS restart wiped it and every member exited on
// "stream not found"; it is now file-backed with the deployment's replica
// count, recreated when lost, and every wait on it is retried.
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

	"github.com/nats-io/nats.go"
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
		g.releaseAll()
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

// openBucket creates the lease bucket, or updates it to this version's
// configuration. Leases were memory-backed before, which a NATS restart
// wiped out; a memory bucket cannot be changed into a file one, so it is
// replaced: its leases last seconds, and their owners notice the loss at
// their next refresh.
func (g *Group) openBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cfg := jetstream.KeyValueConfig{
		Bucket:      g.cfg.LeaseBucket,
		Description: "Parley partition leases",
		TTL:         g.cfg.LeaseTTL,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    g.cfg.Replicas,
	}
	kv, err := g.js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		if old, lerr := g.js.KeyValue(ctx, g.cfg.LeaseBucket); lerr == nil && isMemoryBucket(ctx, old) {
			g.log.Info("replacing the memory-backed lease bucket with a file-backed one", "bucket", g.cfg.LeaseBucket)
			if err := g.js.DeleteKeyValue(ctx, g.cfg.LeaseBucket); err != nil {
				return fmt.Errorf("lease bucket %s: %w", g.cfg.LeaseBucket, err)
			}
			kv, err = g.js.CreateOrUpdateKeyValue(ctx, cfg)
		}
	}
	if err != nil {
		return fmt.Errorf("lease bucket %s: %w", g.cfg.LeaseBucket, err)
	}
	g.kv = kv
	return nil
}

func isMemoryBucket(ctx context.Context, kv jetstream.KeyValue) bool {
	st, err := kv.Status(ctx)
	if err != nil {
		return false
	}
	js, ok := st.(*jetstream.KeyValueBucketStatus)
	return ok && js.StreamInfo().Config.Storage == jetstream.MemoryStorage
}

// repairBucket opens the bucket again when err says it is gone; the
// KeyValue handle names the bucket, so it works again once it exists.
func (g *Group) repairBucket(ctx context.Context, err error) {
	if !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) &&
		!errors.Is(err, jetstream.ErrNoStreamResponse) && !errors.Is(err, nats.ErrNoResponders) {
		return
	}
	if err := g.openBucket(ctx); err != nil {
		g.log.Warn("lease bucket not restored yet", "err", err)
	}
}

// join watches the members, announces this one, and learns the current
// members before the first assignment, so that a joining member does not
// briefly claim partitions meant for others.
func (g *Group) join(ctx, watchCtx context.Context) (jetstream.KeyWatcher, error) {
	watcher, err := g.kv.Watch(watchCtx, g.memberKey("*"))
	if err != nil {
		return nil, fmt.Errorf("watch members: %w", err)
	}
	if err := g.heartbeat(ctx); err != nil {
		_ = watcher.Stop()
		return nil, err
	}
	timeout := time.After(2 * g.cfg.LeaseTTL)
	for {
		select {
		case e, ok := <-watcher.Updates():
			switch {
			case !ok:
				return nil, errors.New("member watch closed during start")
			case e == nil:
				return watcher, nil
			}
			g.noteMember(e)
		case <-timeout:
			_ = watcher.Stop()
			return nil, errors.New("members not listed in time")
		case <-ctx.Done():
			_ = watcher.Stop()
			return nil, ctx.Err()
		}
	}
}

// rewatch makes one attempt to watch the members again; nil means "try at
// the next tick". The watch first replays every member, as a join does.
func (g *Group) rewatch(ctx, watchCtx context.Context) jetstream.KeyWatcher {
	c, cancel := context.WithTimeout(ctx, g.cfg.LeaseTTL/3)
	defer cancel()
	w, err := g.kv.Watch(watchCtx, g.memberKey("*"))
	if err != nil {
		g.log.Debug("watch members", "err", err)
		g.repairBucket(c, err)
		return nil
	}
	g.log.Info("member watch re-established")
	return w
}

// Check passes once the member has joined and while its heartbeats reach
// the bucket: a member that cannot heartbeat is losing its partitions.
func (g *Group) Check(context.Context) error {
	select {
	case <-g.ready:
	default:
		return errors.New("consumer group not joined yet")
	}
	if last := time.Unix(0, g.lastBeat.Load()); time.Since(last) > g.cfg.LeaseTTL {
		return fmt.Errorf("consumer group: no heartbeat for %s", time.Since(last).Round(time.Second))
	}
	return nil
}

func (g *Group) memberKey(id string) string { return "members." + g.cfg.Group + "." + id }
func (g *Group) claimKey(p int) string      { return "owner." + g.cfg.Group + "." + strconv.Itoa(p) }

func (g *Group) heartbeat(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, g.cfg.LeaseTTL/2)
	defer cancel()
	if _, err := g.kv.Put(c, g.memberKey(g.cfg.MemberID), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	g.lastBeat.Store(time.Now().UnixNano())
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
		case run != nil && run.broken():
			// The server ended the consumer (deleted, or its stream lost):
			// give the partition up; the next claim creates it again.
			g.log.Warn("partition consumer stopped; starting it again", "partition", p)
			run.abort()
			g.deleteClaim(p, run.revision())
			g.forget(p, run)
		case run != nil && !want:
			g.release(p, run)
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

func (g *Group) deleteClaim(p int, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.LeaseTTL/2)
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
