package dispatcher_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

func secret(s string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(s)) }

// A reply becomes one POST per message, then the status message, with the
// V1 bodies, the bearer token and Standard Webhooks headers whose
// signature verifies with the shipped package under either rotated secret.
func TestDeliversMessagesThenStatusSigned(t *testing.T) {
	oldSecret, newSecret := secret("old-signing-secret-0123456789"), secret("new-signing-secret-0123456789")
	rc := newReceiver(t, nil)
	e := newEnv(t, registry.Instance{InstanceID: "async", PostURL: rc.url(), AccessToken: "tok-123", SigningSecrets: []string{newSecret, oldSecret}})
	e.start(fastConfig())
	p := e.publisher()

	tpl, err := structpb.NewStruct(map[string]any{"type": "template", "payload": map[string]any{"template_type": "button", "text": "Pick", "buttons": []any{map[string]any{"type": "postback", "title": "A", "payload": "a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.reply("async", "john.doe@kore.com", "Your balance is $31,439.")
	r2 := &eventsv1.Reply{
		TurnId: "turn-tpl", BotId: botID, InstanceId: "async", UserId: r.UserId, FromId: r.FromId, ConversationKey: r.ConversationKey,
		Mode:     eventsv1.Mode_MODE_ASYNC,
		Messages: []*eventsv1.BotMessage{{MessageId: "ms-tpl-0", Body: &eventsv1.BotMessage_Template{Template: tpl}}},
	}
	p.publish(r2)

	polltest.Until(t, "4 deliveries", 10*time.Second, func() bool { return rc.count() >= 4 })
	got := rc.snapshot()
	wantBodies := []string{
		`{"to":"john.doe@kore.com","from":"` + botID + `","text":"Your balance is $31,439."}`,
		`{"to":"john.doe@kore.com","from":"` + botID + `","endOfTask":true,"endReason":"Fulfilled","completedTaskId":"dg-1","completedTaskName":"Check balance"}`,
		`{"to":"john.doe@kore.com","from":"` + botID + `","text":{"payload":{"buttons":[{"payload":"a","title":"A","type":"postback"}],"template_type":"button","text":"Pick"},"type":"template"}}`,
		`{"to":"john.doe@kore.com","from":"` + botID + `","endOfTask":false}`,
	}
	wantIDs := []string{r.Messages[0].MessageId, statusID(r.TurnId), "ms-tpl-0", statusID("turn-tpl")}
	for i, h := range got {
		if string(h.Body) != wantBodies[i] {
			t.Errorf("POST %d body\n got %s\nwant %s", i, h.Body, wantBodies[i])
		}
		if h.ID != wantIDs[i] {
			t.Errorf("POST %d webhook-id = %q, want %q", i, h.ID, wantIDs[i])
		}
		if a := h.Header.Get("Authorization"); a != "Bearer tok-123" {
			t.Errorf("POST %d Authorization = %q", i, a)
		}
		if ct := h.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("POST %d Content-Type = %q", i, ct)
		}
		if n := len(webhooksig.ParseSignatures(h.Header.Get(webhooksig.HeaderSignature))); n != 2 {
			t.Errorf("POST %d: %d signatures, want 2 during the rotation", i, n)
		}
		for _, s := range []string{oldSecret, newSecret} {
			if err := webhooksig.Verify([]string{s}, h.Header, h.Body); err != nil {
				t.Errorf("POST %d: verify with one rotated secret: %v", i, err)
			}
		}
		if err := webhooksig.Verify([]string{secret("someone-else-entirely-000")}, h.Header, h.Body); err == nil {
			t.Errorf("POST %d verified with a foreign secret", i)
		}
		tampered := append([]byte(nil), h.Body...)
		tampered[len(tampered)-2] ^= 1
		if err := webhooksig.Verify([]string{newSecret}, h.Header, tampered); err == nil {
			t.Errorf("POST %d: tampered body verified", i)
		}
	}
	checkOnceInOrder(t, p, rc)
}

// One receiver fails half the time, another is down for a while and then
// recovers: every message still arrives exactly once per id, in each user's
// order, and users of both channels are served in parallel.
func TestFlakyAndRecoveringReceivers(t *testing.T) {
	flaky := newReceiver(t, func(_ *http.Request, _ []byte, _ int64) int {
		if rand.IntN(2) == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	var up atomic.Bool
	var downFailures atomic.Int64
	recovering := newReceiver(t, func(_ *http.Request, _ []byte, _ int64) int {
		if !up.Load() {
			downFailures.Add(1)
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	e := newEnv(t,
		registry.Instance{InstanceID: "flaky", PostURL: flaky.url()},
		registry.Instance{InstanceID: "recovering", PostURL: recovering.url(), RetrySchedule: repeat(40, 20*time.Millisecond)},
	)
	cfg := fastConfig()
	cfg.RetrySchedule = repeat(40, time.Millisecond) // 0.5^40: never exhausted
	e.start(cfg)
	p := e.publisher()
	const users, replies = 12, 5
	for r := range replies {
		for u := range users {
			p.reply("flaky", fmt.Sprintf("flaky-user-%d", u), fmt.Sprintf("a%d", r), fmt.Sprintf("b%d", r))
			p.reply("recovering", fmt.Sprintf("rec-user-%d", u), fmt.Sprintf("a%d", r))
		}
	}
	// The down endpoint has been tried by every user before it comes back.
	polltest.Until(t, "the down endpoint to be retried", 20*time.Second, func() bool { return downFailures.Load() >= 2*users })
	if recovering.count() != 0 {
		t.Fatalf("recovering endpoint accepted %d while down", recovering.count())
	}
	up.Store(true)
	want := users * replies * (3 + 2)
	polltest.Until(t, "all deliveries", 60*time.Second, func() bool { return flaky.distinct()+recovering.distinct() >= want })
	checkOnceInOrder(t, p, flaky, recovering)
	if n := e.dlqCount(); n != 0 {
		t.Errorf("%d dead letters, want 0", n)
	}
	if flaky.requests.Load() <= int64(flaky.count()) {
		t.Errorf("flaky receiver: %d requests for %d accepted: failures were not retried", flaky.requests.Load(), flaky.count())
	}
}

// The dispatcher is stopped and restarted in the middle of deliveries:
// nothing is lost and nothing a receiver answered 2xx to arrives twice.
func TestRestartMidDelivery(t *testing.T) {
	rc := newReceiver(t, func(_ *http.Request, _ []byte, _ int64) int {
		respondSlowly()
		if rand.IntN(10) < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e := newEnv(t, registry.Instance{InstanceID: "async", PostURL: rc.url()})
	cfg := fastConfig()
	cfg.RetrySchedule = repeat(20, 5*time.Millisecond)
	p := e.publisher()
	const users, replies = 20, 8
	for r := range replies {
		for u := range users {
			p.reply("async", fmt.Sprintf("user-%d", u), fmt.Sprintf("m%d", r), fmt.Sprintf("n%d", r))
		}
	}
	want := p.total()
	for round := range 3 {
		d := e.start(cfg)
		target := want * (round + 1) / 4
		polltest.Until(t, fmt.Sprintf("round %d progress", round), 30*time.Second, func() bool { return rc.distinct() >= target })
		d.stop(t)
		t.Logf("round %d: stopped with %d/%d delivered", round, rc.distinct(), want)
	}
	e.start(cfg)
	polltest.Until(t, "all deliveries", 60*time.Second, func() bool { return rc.distinct() >= want })
	checkOnceInOrder(t, p, rc)
	if n := e.dlqCount(); n != 0 {
		t.Errorf("%d dead letters, want 0", n)
	}
}

// A second replica joining takes over partitions mid-stream without
// breaking order or duplicating accepted messages.
func TestTwoReplicasShareWork(t *testing.T) {
	rc := newReceiver(t, nil)
	e := newEnv(t, registry.Instance{InstanceID: "async", PostURL: rc.url()})
	cfg := fastConfig()
	a := e.start(cfg)
	p := e.publisher()
	for r := range 10 {
		for u := range 16 {
			p.reply("async", fmt.Sprintf("user-%d", u), fmt.Sprintf("m%d", r))
		}
	}
	b := e.start(cfg)
	polltest.Until(t, "both replicas to own partitions", 15*time.Second, func() bool {
		return len(a.svc.OwnedPartitions()) > 0 && len(b.svc.OwnedPartitions()) > 0
	})
	for r := 10; r < 20; r++ {
		for u := range 16 {
			p.reply("async", fmt.Sprintf("user-%d", u), fmt.Sprintf("m%d", r))
		}
	}
	polltest.Until(t, "all deliveries", 30*time.Second, func() bool { return rc.distinct() >= p.total() })
	checkOnceInOrder(t, p, rc)
}

// Replies for sync channels are never POSTed.
func TestSyncRepliesSkipped(t *testing.T) {
	rc := newReceiver(t, nil)
	e := newEnv(t,
		registry.Instance{InstanceID: "sync", Mode: registry.ModeSync},
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
	)
	e.start(fastConfig())
	p := e.publisher()
	p.reply("sync", "u1", "not for POST")
	r := p.reply("async", "u1", "for POST")
	polltest.Until(t, "async delivery", 10*time.Second, func() bool { return rc.distinct() >= 2 })
	for _, h := range rc.snapshot() {
		if h.ID != r.Messages[0].MessageId && h.ID != statusID(r.TurnId) {
			t.Errorf("unexpected delivery %s %s", h.ID, h.Body)
		}
	}
}

// A user's messages held behind a retry for longer than AckWait are kept
// alive (InProgress), not redelivered by JetStream.
func TestHeldMessagesOutliveAckWait(t *testing.T) {
	var up atomic.Bool
	rc := newReceiver(t, func(*http.Request, []byte, int64) int {
		if !up.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := newEnv(t, registry.Instance{InstanceID: "async", PostURL: rc.url()})
	cfg := fastConfig()
	cfg.AckWait = 3 * time.Second
	cfg.RetrySchedule = repeat(50, 200*time.Millisecond)
	e.start(cfg)
	p := e.publisher()
	for i := range 3 {
		p.reply("async", "held-user", fmt.Sprintf("m%d", i))
	}
	held := time.Now()
	polltest.Until(t, "two AckWaits of holding", 20*time.Second, func() bool { return time.Since(held) > 2*cfg.AckWait })
	// Redelivered-and-unacked counts are only visible while held.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var redelivered, pending int
	for part := range e.bus.Partitions {
		c, err := e.conn.JS.Consumer(ctx, e.conn.Cfg.Name(bus.StreamReplies), fmt.Sprintf("dispatcher-p%02d", part))
		if err != nil {
			continue
		}
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		redelivered += info.NumRedelivered
		pending += info.NumAckPending
	}
	up.Store(true)
	polltest.Until(t, "deliveries", 20*time.Second, func() bool { return rc.distinct() >= 6 })
	checkOnceInOrder(t, p, rc)
	if pending != 3 {
		t.Errorf("%d messages pending while held, want 3", pending)
	}
	if redelivered != 0 {
		t.Errorf("%d messages redelivered by JetStream while held", redelivered)
	}
}
