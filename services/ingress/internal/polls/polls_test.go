package polls

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/redistest"
)

type store interface {
	Put(ctx context.Context, id string, rec Record) error
	Take(ctx context.Context, id string, who Requester) (Record, bool, error)
}

// conformance: a pending poll stays until answered; an answer is taken
// once, by one caller only; a requester the poll does not allow finds
// nothing and takes nothing.
func conformance(t *testing.T, s store) {
	ctx := t.Context()
	id := "0123456789abcdef0123456789abcdef"
	owner := Requester{App: "cs-a", Bot: "st-1", Instance: "i", Subject: "u10"}
	stranger := Requester{App: "cs-a", Bot: "st-1", Instance: "i", Subject: "u11"}
	if _, found, err := s.Take(ctx, id, owner); err != nil || found {
		t.Fatalf("unknown id: found %v, %v", found, err)
	}
	rec := Record{App: "cs-a", Bot: "st-1", Instance: "i", FromID: "u10", Subject: "u10"}
	if err := s.Put(ctx, id, rec); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, found, err := s.Take(ctx, id, owner)
		if err != nil || !found || got.Done || got.App != "cs-a" {
			t.Fatalf("pending poll: %+v %v %v", got, found, err)
		}
	}
	if _, found, err := s.Take(ctx, id, stranger); err != nil || found {
		t.Fatalf("another user's token found the pending poll: %v %v", found, err)
	}
	rec.Done, rec.Status, rec.Body = true, 200, []byte(`{"_v":"v2"}`)
	if err := s.Put(ctx, id, rec); err != nil {
		t.Fatal(err)
	}
	if got, found, err := s.Take(ctx, id, stranger); err != nil || found {
		t.Fatalf("another user's token took the answer: %+v %v %v", got, found, err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, found, err := s.Take(ctx, id, owner); err == nil && found && got.Done && string(got.Body) == `{"_v":"v2"}` {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("the answer was delivered %d times, want once", wins.Load())
	}
	if _, found, _ := s.Take(ctx, id, owner); found {
		t.Fatal("the answer was delivered again")
	}
}

func TestAllows(t *testing.T) {
	rec := Record{App: "cs-a", Bot: "st-1", Instance: "i", FromID: "u10", Subject: "sub-10"}
	same := Requester{App: "cs-a", Bot: "st-1", Instance: "i"}
	with := func(f func(*Requester)) Requester { r := same; f(&r); return r }
	cases := []struct {
		name string
		who  Requester
		want bool
	}{
		{"the sender's sub", with(func(r *Requester) { r.Subject = "sub-10" }), true},
		{"another sub", with(func(r *Requester) { r.Subject = "sub-11" }), false},
		{"no user claim", same, false},
		{"userIdentity of the from.id", with(func(r *Requester) { r.UserIdentity = "u10" }), true},
		{"userIdentity of another from.id, the sender's sub", with(func(r *Requester) { r.UserIdentity = "u11"; r.Subject = "sub-10" }), false},
		{"the sub equal to the from.id", with(func(r *Requester) { r.Subject = "u10" }), false},
		{"another app", with(func(r *Requester) { r.App = "cs-b"; r.Subject = "sub-10" }), false},
		{"another bot", with(func(r *Requester) { r.Bot = "st-2"; r.Subject = "sub-10" }), false},
		{"another instance", with(func(r *Requester) { r.Instance = ""; r.Subject = "sub-10" }), false},
	}
	for _, tc := range cases {
		if got := rec.Allows(tc.who); got != tc.want {
			t.Errorf("%s: Allows(%+v) = %v, want %v", tc.name, tc.who, got, tc.want)
		}
	}
	if (Record{App: "cs-a", Bot: "st-1", Instance: "i", FromID: "u10"}).Allows(same) {
		t.Error("a poll opened without a sub is read by a token without one")
	}
}

func TestRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	conformance(t, NewRedis(rdb, prefix))
	// A poll lives for the TTL.
	if err := NewRedis(rdb, prefix).Put(t.Context(), "ffffffffffffffffffffffffffffffff", Record{App: "a"}); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(t.Context(), prefix+"poll:ffffffffffffffffffffffffffffffff").Val(); ttl <= TTL-time.Minute || ttl > TTL {
		t.Fatalf("ttl %v, want %v", ttl, TTL)
	}
}

func TestKV(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	s, err := NewKV(t.Context(), conn.JS, fmt.Sprintf("polls_%d", time.Now().UnixNano()), 1)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, s)
}
