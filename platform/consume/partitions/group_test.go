package partitions_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/consume"
	"github.com/parleyhq/parley/platform/consume/partitions"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/polltest"
)

type recorder struct {
	mu   sync.Mutex
	seen map[string][]int    // key -> payload numbers in handling order
	by   map[string]int      // member -> messages handled
	dups map[string]struct{} // key/n handled more than once
}

func newRecorder() *recorder {
	return &recorder{seen: map[string][]int{}, by: map[string]int{}, dups: map[string]struct{}{}}
}

func (r *recorder) handler(member string, delay time.Duration) consume.Handler {
	return func(ctx context.Context, m jetstream.Msg) error {
		n, err := strconv.Atoi(string(m.Data()))
		if err != nil {
			return consume.Permanent(err)
		}
		if delay > 0 {
			simulateWork(delay)
		}
		key := m.Subject()[len(m.Subject())-2:]
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, x := range r.seen[key] {
			if x == n {
				r.dups[fmt.Sprintf("%s/%d", key, n)] = struct{}{}
				return nil
			}
		}
		r.seen[key] = append(r.seen[key], n)
		r.by[member]++
		return nil
	}
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := 0
	for _, v := range r.seen {
		t += len(v)
	}
	return t
}

func setup(t *testing.T) (jetstream.JetStream, partitions.Config) {
	srv := bustest.RunJetStream(t)
	busCfg := srv.Config(t)
	conn := bustest.Connect(t, busCfg)
	ctx := t.Context()
	root := busCfg.Subject("orders")
	if _, err := conn.JS.CreateStream(ctx, jetstream.StreamConfig{Name: busCfg.Name("ORDERS"), Subjects: []string{root + ".>"}}); err != nil {
		t.Fatal(err)
	}
	return conn.JS, partitions.Config{
		Group: "work", Stream: busCfg.Name("ORDERS"), SubjectRoot: root, Partitions: 8,
		LeaseBucket: busCfg.Name("leases"), LeaseTTL: 1500 * time.Millisecond, AckWait: 5 * time.Second,
	}
}

func publish(t *testing.T, js jetstream.JetStream, cfg partitions.Config, keys, perKey int) {
	t.Helper()
	for n := range perKey {
		for k := range keys {
			subj := fmt.Sprintf("%s.%d.k%02d", cfg.SubjectRoot, k%cfg.Partitions, k)
			if _, err := js.Publish(t.Context(), subj, []byte(strconv.Itoa(n))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func startMember(t *testing.T, js jetstream.JetStream, cfg partitions.Config, id string, h consume.Handler) (cancel func(), done chan struct{}, g *partitions.Group) {
	cfg.MemberID = id
	g, err := partitions.New(js, cfg, h, logx.Discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() {
		defer close(done)
		if err := g.Run(ctx); err != nil {
			t.Errorf("member %s: %v", id, err)
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	<-g.Ready()
	return stop, done, g
}

func assertOrdered(t *testing.T, rec *recorder, keys, perKey int) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) != keys {
		t.Fatalf("saw %d keys, want %d", len(rec.seen), keys)
	}
	for key, ns := range rec.seen {
		if len(ns) != perKey {
			t.Errorf("key %s: %d messages, want %d", key, len(ns), perKey)
		}
		for i, n := range ns {
			if n != i {
				t.Fatalf("key %s out of order: %v", key, ns)
			}
		}
	}
}

func TestTwoMembersShareWorkAndKeepKeyOrder(t *testing.T) {
	js, cfg := setup(t)
	rec := newRecorder()
	startMember(t, js, cfg, "a", rec.handler("a", time.Millisecond))
	_, _, gb := startMember(t, js, cfg, "b", rec.handler("b", time.Millisecond))
	polltest.Until(t, "b to own partitions", 10*time.Second, func() bool { return len(gb.Owned()) > 0 })

	const keys, perKey = 16, 30
	publish(t, js, cfg, keys, perKey)
	polltest.Until(t, "all messages", 30*time.Second, func() bool { return rec.total() == keys*perKey })
	assertOrdered(t, rec, keys, perKey)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.by["a"] == 0 || rec.by["b"] == 0 {
		t.Fatalf("work not shared: %v", rec.by)
	}
}

func TestMemberLeavingHandsOverWithoutLossOrReorder(t *testing.T) {
	js, cfg := setup(t)
	rec := newRecorder()
	stopA, doneA, _ := startMember(t, js, cfg, "a", rec.handler("a", 3*time.Millisecond))
	_, _, gb := startMember(t, js, cfg, "b", rec.handler("b", 3*time.Millisecond))
	polltest.Until(t, "b to own partitions", 10*time.Second, func() bool { return len(gb.Owned()) > 0 })

	const keys, perKey = 8, 40
	publish(t, js, cfg, keys, perKey)
	polltest.Until(t, "some progress", 10*time.Second, func() bool { return rec.total() > keys*perKey/4 })
	stopA()
	<-doneA
	polltest.Until(t, "b to own every partition", 10*time.Second, func() bool { return len(gb.Owned()) == cfg.Partitions })
	polltest.Until(t, "all messages", 30*time.Second, func() bool { return rec.total() == keys*perKey })
	assertOrdered(t, rec, keys, perKey)
}

func TestPermanentErrorTerminatesWithoutBlockingTheLane(t *testing.T) {
	js, cfg := setup(t)
	cfg.Partitions = 1
	rec := newRecorder()
	startMember(t, js, cfg, "a", rec.handler("a", 0))
	if _, err := js.Publish(t.Context(), cfg.SubjectRoot+".0.k01", []byte("not a number")); err != nil {
		t.Fatal(err)
	}
	publish(t, js, cfg, 2, 5)
	polltest.Until(t, "messages after the poison one", 10*time.Second, func() bool { return rec.total() == 10 })
	assertOrdered(t, rec, 2, 5)
}

func TestTransientErrorHoldsBackOnlyItsKey(t *testing.T) {
	js, cfg := setup(t)
	cfg.Partitions = 1
	rec := newRecorder()
	var mu sync.Mutex
	failures := 0
	inner := rec.handler("a", 0)
	startMember(t, js, cfg, "a", func(ctx context.Context, m jetstream.Msg) error {
		if m.Subject() == cfg.SubjectRoot+".0.k00" && string(m.Data()) == "0" {
			mu.Lock()
			defer mu.Unlock()
			if failures < 5 {
				failures++
				return fmt.Errorf("store unavailable")
			}
		}
		return inner(ctx, m)
	})
	publish(t, js, cfg, 2, 5)
	polltest.Until(t, "the healthy key", 10*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.seen["01"]) == 5
	})
	polltest.Until(t, "the failing key to recover", 10*time.Second, func() bool { return rec.total() == 10 })
	assertOrdered(t, rec, 2, 5)
	if failures != 5 {
		t.Fatalf("failures = %d, want 5 retries", failures)
	}
}

func publishFrom(t *testing.T, js jetstream.JetStream, cfg partitions.Config, keys, from, to int) {
	t.Helper()
	for n := from; n < to; n++ {
		for k := range keys {
			subj := fmt.Sprintf("%s.%d.k%02d", cfg.SubjectRoot, k%cfg.Partitions, k)
			if _, err := js.Publish(t.Context(), subj, []byte(strconv.Itoa(n))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestGroupRidesThroughNATSRestartAndLostBucket: the members of a group
// keep running across a nats-server restart (data kept) and the loss of
// their lease bucket; readiness fails during the outage and comes back by
// itself, and every message is handled in per-key order.
func TestGroupRidesThroughNATSRestartAndLostBucket(t *testing.T) {
	srv := bustest.RunRestartable(t)
	busCfg := srv.Config(t)
	conn := bustest.Connect(t, busCfg)
	js := conn.JS
	root := busCfg.Subject("orders")
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: busCfg.Name("ORDERS"), Subjects: []string{root + ".>"}}); err != nil {
		t.Fatal(err)
	}
	cfg := partitions.Config{
		Group: "work", Stream: busCfg.Name("ORDERS"), SubjectRoot: root, Partitions: 4,
		LeaseBucket: busCfg.Name("leases"), LeaseTTL: 1500 * time.Millisecond, AckWait: 5 * time.Second,
	}
	rec := newRecorder()
	_, doneA, ga := startMember(t, js, cfg, "a", rec.handler("a", time.Millisecond))
	_, doneB, gb := startMember(t, js, cfg, "b", rec.handler("b", time.Millisecond))
	serving := func() bool { return ga.Check(t.Context()) == nil && gb.Check(t.Context()) == nil }
	polltest.Until(t, "both members to own partitions", 10*time.Second, func() bool {
		return len(ga.Owned()) > 0 && len(gb.Owned()) > 0
	})

	const keys = 8
	publishFrom(t, js, cfg, keys, 0, 10)
	polltest.Until(t, "the first batch", 20*time.Second, func() bool { return rec.total() == keys*10 })

	srv.Shutdown()
	polltest.Until(t, "readiness to fail while NATS is down", 10*time.Second, func() bool { return !serving() })
	srv.Start(t)
	polltest.Until(t, "readiness to come back after the restart", 30*time.Second, serving)
	publishFrom(t, js, cfg, keys, 10, 20)
	polltest.Until(t, "the batch after the restart", 30*time.Second, func() bool { return rec.total() == keys*20 })

	if err := js.DeleteKeyValue(t.Context(), cfg.LeaseBucket); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the lease bucket to be created again", 20*time.Second, func() bool {
		_, err := js.KeyValue(t.Context(), cfg.LeaseBucket)
		return err == nil
	})
	publishFrom(t, js, cfg, keys, 20, 30)
	polltest.Until(t, "the batch after the bucket loss", 30*time.Second, func() bool { return rec.total() == keys*30 })
	polltest.Until(t, "both members to serve again", 20*time.Second, serving)
	assertOrdered(t, rec, keys, 30)
	for name, done := range map[string]chan struct{}{"a": doneA, "b": doneB} {
		select {
		case <-done:
			t.Fatalf("member %s stopped", name)
		default:
		}
	}
}

// TestLeaseBucketIsFileBacked: the leases survive a server restart because
// they are on disk; a memory bucket left by an older version is replaced.
func TestLeaseBucketIsFileBacked(t *testing.T) {
	js, cfg := setup(t)
	if _, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: cfg.LeaseBucket, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	startMember(t, js, cfg, "a", newRecorder().handler("a", 0))
	kv, err := js.KeyValue(t.Context(), cfg.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Storage; got != jetstream.FileStorage {
		t.Fatalf("lease bucket storage = %v, want file", got)
	}
}
