package partition

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// partitionRun consumes one owned partition.
type partitionRun struct {
	g *Group
	p int

	mu        sync.Mutex
	rev       uint64
	leaving   bool
	lanes     map[string]*lane
	cons      jetstream.Consumer // sampled for the pending gauges
	cc        jetstream.ConsumeContext
	ctx       context.Context // handler context: cancelled on abort
	cancel    context.CancelFunc
	inFlight  sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
}

type lane struct {
	queue []jetstream.Msg
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
	r.lanes = map[string]*lane{}
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	cc, err := cons.Consume(r.dispatch,
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
	return nil
}

// dispatch is called by the consumer in delivery order; appending to the
// key's lane keeps that order.
func (r *partitionRun) dispatch(msg jetstream.Msg) {
	key := r.g.cfg.KeyOf(msg)
	r.mu.Lock()
	l, busy := r.lanes[key]
	if !busy {
		l = &lane{}
		r.lanes[key] = l
		r.inFlight.Add(1)
	}
	l.queue = append(l.queue, msg)
	r.mu.Unlock()
	if !busy {
		go r.runLane(key, l)
	}
}

func (r *partitionRun) runLane(key string, l *lane) {
	defer r.inFlight.Done()
	for {
		r.mu.Lock()
		if len(l.queue) == 0 {
			delete(r.lanes, key)
			r.mu.Unlock()
			return
		}
		msg := l.queue[0]
		l.queue = l.queue[1:]
		r.mu.Unlock()
		if !r.handle(msg) {
			// Aborted: leave this and the queued messages un-acked for the
			// next owner, who replays them in order.
			r.mu.Lock()
			delete(r.lanes, key)
			r.mu.Unlock()
			return
		}
	}
}

// handle runs the handler until the message is acked or terminated; false
// means the partition was aborted first.
func (r *partitionRun) handle(msg jetstream.Msg) bool {
	for attempt := 1; ; attempt++ {
		if r.ctx.Err() != nil {
			return false
		}
		err := r.g.handler(r.ctx, msg)
		var perm *PermanentError
		switch {
		case err == nil:
			if err := msg.Ack(); err != nil {
				r.g.log.Warn("ack", "partition", r.p, "err", err)
			}
			return true
		case errors.As(err, &perm):
			r.g.log.Error("message terminated", "partition", r.p, "subject", msg.Subject(), "err", err)
			_ = msg.TermWithReason(err.Error())
			return true
		}
		if r.ctx.Err() != nil {
			return false
		}
		r.g.log.Warn("message failed; retrying in its lane", "partition", r.p, "attempt", attempt, "err", err)
		_ = msg.InProgress()
		select {
		case <-time.After(backoff(attempt)):
		case <-r.ctx.Done():
			return false
		}
	}
}

func (r *partitionRun) refresh(ctx context.Context, kv jetstream.KeyValue) error {
	c, cancel := context.WithTimeout(ctx, r.g.cfg.LeaseTTL/2)
	defer cancel()
	r.mu.Lock()
	rev := r.rev
	r.mu.Unlock()
	next, err := kv.Update(c, r.g.claimKey(r.p), []byte(r.g.cfg.MemberID), rev)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.rev = next
	r.mu.Unlock()
	return nil
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
	go func() { r.inFlight.Wait(); close(finished) }()
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
		r.cc.Stop()
		r.cancel()
		close(r.done)
	})
}
