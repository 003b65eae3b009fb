package partitions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

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
