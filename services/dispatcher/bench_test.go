package dispatcher_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// BenchmarkDeliveries measures end-to-end deliveries per second: 1,000
// users × 10 messages already on PARLEY_OUT (one message per reply, no
// status message, so 10,000 POSTs) to a local receiver, with real JetStream,
// ledger writes and per-user order. Run with -benchtime=1x:
//
//	go test -run '^$' -bench BenchmarkDeliveries -benchtime=1x .
func BenchmarkDeliveries(b *testing.B) {
	for _, tc := range []struct {
		name        string
		failPercent int
		concurrency int
	}{
		{"clean/conc32", 0, 32},
		{"transient30pct/conc32", 30, 32},
		{"clean/conc128", 0, 128},
		{"transient30pct/conc128", 30, 128},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				benchOnce(b, tc.failPercent, tc.concurrency)
			}
		})
	}
}

func benchOnce(b *testing.B, failPercent, concurrency int) {
	b.StopTimer()
	const users, perUser = 1000, 10
	rc := newReceiver(b, func(*http.Request, []byte, int64) int {
		if rand.IntN(100) < failPercent {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := newEnv(b, registry.Instance{InstanceID: "async", PostURL: rc.url(), MaxConcurrency: concurrency})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var acks []jetstream.PubAckFuture
	for m := range perUser {
		for u := range users {
			from := fmt.Sprintf("user-%d", u)
			user := appID + "/" + from
			r := &eventsv1.Reply{
				TurnId: fmt.Sprintf("t-%d-%d", u, m), BotId: botID, InstanceId: "async", UserId: user, FromId: from,
				ConversationKey: bus.ConversationKey(botID, user), Mode: eventsv1.Mode_MODE_ASYNC, ProducedAt: timestamppb.Now(),
				Messages: []*eventsv1.BotMessage{{MessageId: fmt.Sprintf("ms-%d-%d", u, m), Body: &eventsv1.BotMessage_Text{Text: "Your balance is $31,439."}}},
			}
			data, _ := proto.Marshal(r)
			msg := bus.NewMsg(ctx, bus.Message{
				Subject: e.conn.Cfg.ReplySubject(botID, r.ConversationKey), Data: data,
				ID: "reply-" + r.TurnId, Header: map[string]string{bus.HeaderDeliverParts: "messages"},
			})
			f, err := e.conn.JS.PublishMsgAsync(msg)
			if err != nil {
				b.Fatal(err)
			}
			acks = append(acks, f)
		}
	}
	select {
	case <-e.conn.JS.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("publish timed out")
	}
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
	cfg := fastConfig()
	cfg.RetrySchedule = repeat(30, benchDelay) // 0.3^30: never exhausted
	cfg.MaxInFlight = 512
	b.StartTimer()
	start := time.Now()
	e.start(cfg)
	polltest.Until(b, "all deliveries", 2*time.Minute, func() bool { return rc.distinct() >= users*perUser })
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(users*perUser)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(rc.requests.Load())/elapsed.Seconds(), "POSTs/s")
	if n := e.dlqCount(); n != 0 {
		b.Errorf("%d dead letters", n)
	}
	for id, n := range rc.ok {
		if n != 1 {
			b.Errorf("%s accepted %d times", id, n)
		}
	}
}

var benchDelay = func() time.Duration {
	d, err := time.ParseDuration(os.Getenv("BENCH_RETRY_DELAY"))
	if err != nil {
		return 10 * time.Millisecond
	}
	return d
}()
