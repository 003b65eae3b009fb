package partitions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/consume"
)

// partitionRun consumes one owned partition.
type partitionRun struct {
	g *Group
	p int

	mu  sync.Mutex
	rev uint64
	// validUntil is when the claim may have expired, reckoned from the
	// last write of it that succeeded (Group.leaseEnd).
	validUntil time.Time
	leaving    bool
	// stopping is set when this member stops the consumer itself; a
	// consumer that closes without it was ended by the server.
	stopping  bool
	closedBy  bool // the consumer closed without stopping: see broken
	lanes     *consume.Lanes
	cons      jetstream.Consumer // sampled for the pending gauges
	cc        jetstream.ConsumeContext
	ctx       context.Context // handler context: cancelled on abort
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

func (r *partitionRun) consumerName() string {
	return fmt.Sprintf("%s-p%02d", r.g.cfg.Group, r.p)
}

// start makes sure the partition's durable consumer exists, rewinding it to
// its ack floor when a previous owner left messages un-acked, and begins
// pulling.
func (r *partitionRun) start(ctx context.Context) error {
	cfg := r.g.cfg
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name := r.consumerName()
	want := jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: fmt.Sprintf("%s.%d.>", cfg.SubjectRoot, r.p),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxAckPending: cfg.MaxInFlight,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Replicas:      cfg.Replicas,
	}
	cons, err := r.g.js.Consumer(c, cfg.Stream, name)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		cons, err = r.g.js.CreateConsumer(c, cfg.Stream, want)
		if err != nil {
			return fmt.Errorf("create consumer %s: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("look up consumer %s: %w", name, err)
	default:
		info := cons.CachedInfo()
		if info.NumAckPending > 0 {
			// A previous owner died holding messages. Waiting for AckWait
			// would let newer messages overtake them; rewinding replays the
			// partition from the first un-acked message, in order.
			floor := info.AckFloor.Stream
			r.g.log.Info("rewinding partition after unclean hand-over", "partition", r.p, "ack_floor", floor, "ack_pending", info.NumAckPending)
			if err := r.g.js.DeleteConsumer(c, cfg.Stream, name); err != nil {
				return fmt.Errorf("delete consumer %s: %w", name, err)
			}
			want.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			want.OptStartSeq = floor + 1
			if cons, err = r.g.js.CreateConsumer(c, cfg.Stream, want); err != nil {
				return fmt.Errorf("recreate consumer %s: %w", name, err)
			}
		}
	}
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	log := r.g.log.With("partition", r.p)
	// A message whose handling is cut short by an abort stays un-acked,
	// with the rest of its lane, for the next owner to replay in order.
	r.lanes = consume.NewLanes(cfg.KeyOf, func(msg jetstream.Msg) bool {
		return consume.Settle(r.ctx, r.g.handler, msg, log)
	})
	cc, err := cons.Consume(r.lanes.Dispatch,
		jetstream.PullMaxMessages(cfg.MaxInFlight),
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				r.g.log.Debug("consume", "partition", r.p, "err", err)
			}
		}))
	if err != nil {
		r.cancel()
		return fmt.Errorf("consume %s: %w", name, err)
	}
	r.cons, r.cc = cons, cc
	go r.watchClosed(cc)
	return nil
}

func (r *partitionRun) refresh(ctx context.Context, kv jetstream.KeyValue) error {
	c, cancel := context.WithTimeout(ctx, r.g.cfg.LeaseTTL/2)
	defer cancel()
	r.mu.Lock()
	rev := r.rev
	r.mu.Unlock()
	sent := time.Now()
	next, err := kv.Update(c, r.g.claimKey(r.p), []byte(r.g.cfg.MemberID), rev)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.rev, r.validUntil = next, r.g.leaseEnd(sent)
	r.mu.Unlock()
	return nil
}

// lost reports whether the claim must be given up after a failed refresh:
// when the server answered (the claim expired, or another member holds
// it), or when the server could not be reached for so long that the claim
// may have expired. A refresh lost to a short NATS outage keeps the
// partition: nobody else can claim it while the server is unreachable.
func (r *partitionRun) lost(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().After(r.validUntil)
}

// broken reports whether the consumer closed without this member stopping
// it (deleted on the server, or its stream gone).
func (r *partitionRun) broken() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closedBy
}

// watchClosed notes the consumer closing under the member's feet.
func (r *partitionRun) watchClosed(cc jetstream.ConsumeContext) {
	<-cc.Closed()
	r.mu.Lock()
	if !r.stopping && !r.leaving {
		r.closedBy = true
	}
	r.mu.Unlock()
}

func (r *partitionRun) revision() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rev
}

func (r *partitionRun) markReleasing() {
	r.mu.Lock()
	r.leaving = true
	r.mu.Unlock()
}

func (r *partitionRun) releasing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leaving
}

// drain stops pulling, lets the lanes finish what they were handed, and
// aborts whatever is still running after timeout.
func (r *partitionRun) drain(timeout time.Duration) {
	// Drain hands the buffered messages to the lanes but waits for the
	// outstanding pull to end; past a short wait, Stop instead: anything
	// delivered and not yet handled stays un-acked, and the next owner
	// replays it from the ack floor.
	r.cc.Drain()
	select {
	case <-r.cc.Closed():
	case <-time.After(min(timeout, 2*time.Second)):
		r.cc.Stop()
	}
	finished := make(chan struct{})
	go func() { r.lanes.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(timeout):
		r.g.log.Warn("partition drain timed out; aborting", "partition", r.p)
	}
	r.abort()
}

// abort stops at once; un-acked messages go to the next owner.
func (r *partitionRun) abort() {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.stopping = true
		r.mu.Unlock()
		r.cc.Stop()
		r.cancel()
		close(r.done)
	})
}
