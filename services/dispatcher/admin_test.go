package dispatcher_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/adminauth"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/registry"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher"
)

const (
	viewerToken    = "viewer-token-0123456789"
	developerToken = "developer-token-0123456789"
)

// adminEndpoint serves the dispatcher's admin services as the channels
// service does: a gRPC server on a loopback port behind the admin guard,
// each call forwarded over the bus to a dispatcher replica. It returns the
// connection and a context per role.
func (e *env) adminEndpoint() (cc *grpc.ClientConn, viewer, developer context.Context) {
	t := e.t
	t.Helper()
	svc := dispatcher.AdminService(e.conn)
	guard := adminauth.NewGuard([]adminauth.Token{
		{Token: viewerToken, Role: adminauth.RoleViewer, Name: "vera"},
		{Token: developerToken, Role: adminauth.RoleDeveloper, Name: "dev"},
	}, svc.Policy)
	srv := grpc.NewServer(guard.Interceptors(testLogger())...)
	svc.Register(srv)
	if err := svc.Policy.Covers(srv); err != nil {
		t.Fatal(err)
	}
	lis := listen(t)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	bearer := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	}
	return cc, bearer(viewerToken), bearer(developerToken)
}

// Dead letters are listed (filtered, paged), read, replayed under their
// original webhook-id and purged through the gRPC API; a dead-lettered
// message does not hold back the user's later ones.
func TestDeadLetterAdmin(t *testing.T) {
	var fixed atomic.Bool
	rc := newReceiver(t, func(_ *http.Request, body []byte, _ int64) int {
		if bytes.Contains(body, []byte("bad")) && !fixed.Load() {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e := newEnv(t,
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
		registry.Instance{InstanceID: "other", PostURL: rc.url()},
	)
	e.start(fastConfig())
	cc, _, dev := e.adminEndpoint()
	ctx, cancel := context.WithTimeout(dev, 30*time.Second)
	defer cancel()
	cl := dispatcherv1.NewDeadLetterAdminClient(cc)

	p := e.publisher()
	r1 := p.reply("async", "u1", "ok1", "bad1")
	r2 := p.reply("async", "u1", "ok2")
	p.reply("other", "u2", "bad2")
	checkLaterMessagesPassTheDeadLetter(t, e, rc, r1, r2)
	seq := checkDeadLetterList(t, ctx, cl, r1)
	checkDeadLetterGet(t, ctx, cl, seq, r1)

	fixed.Store(true)
	checkReplayOfOne(t, ctx, cl, rc, seq, r1)
	if n := e.dlqCount(); n != 1 {
		t.Errorf("%d dead letters after replay, want 1", n)
	}

	// A range replay of new dead letters of one channel.
	fixed.Store(false)
	r3 := p.reply("async", "u3", "bad3", "bad4")
	polltest.Until(t, "new dead letters", 10*time.Second, func() bool { return e.dlqCount() >= 3 })
	fixed.Store(true)
	checkReplayOfRange(t, ctx, cl, rc, seq, r3)
	checkPurge(t, ctx, cl)
}

// checkLaterMessagesPassTheDeadLetter: u1's later messages were delivered,
// in order, past the dead-lettered one.
func checkLaterMessagesPassTheDeadLetter(t *testing.T, e *env, rc *receiver, r1, r2 *eventsv1.Reply) {
	t.Helper()
	polltest.Until(t, "later messages past the dead letter", 10*time.Second, func() bool {
		return rc.distinct() >= 5 && e.dlqCount() >= 2 // u1: ok1, status, ok2, status; u2: status
	})
	ids := []string{}
	for _, h := range rc.snapshot() {
		if h.To == "u1" {
			ids = append(ids, h.ID)
		}
	}
	want := []string{r1.Messages[0].MessageId, statusID(r1.TurnId), r2.Messages[0].MessageId, statusID(r2.TurnId)}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("u1 deliveries %v, want %v", ids, want)
	}
}

// checkDeadLetterList lists the dead letters whole, by channel and in pages,
// and returns the sequence of r1's dead letter.
func checkDeadLetterList(t *testing.T, ctx context.Context, cl dispatcherv1.DeadLetterAdminClient, r1 *eventsv1.Reply) uint64 {
	t.Helper()
	all, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.DeadLetters) != 2 || all.NextPageToken != "" {
		t.Fatalf("List = %d letters, token %q; want 2 and no more pages", len(all.DeadLetters), all.NextPageToken)
	}
	mine, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{BotId: botID, InstanceId: "async"})
	if err != nil || len(mine.DeadLetters) != 1 || mine.DeadLetters[0].MessageId != r1.Messages[1].MessageId {
		t.Fatalf("List(async) = %v, %v", mine, err)
	}
	page1, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{BotId: botID, PageSize: 1})
	if err != nil || len(page1.DeadLetters) != 1 || page1.NextPageToken == "" {
		t.Fatalf("List page 1 = %v, %v", page1, err)
	}
	page2, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{BotId: botID, PageSize: 1, PageToken: page1.NextPageToken})
	if err != nil || len(page2.DeadLetters) != 1 || page2.DeadLetters[0].Sequence == page1.DeadLetters[0].Sequence {
		t.Fatalf("List page 2 = %v, %v", page2, err)
	}
	return mine.DeadLetters[0].Sequence
}

// checkDeadLetterGet reads r1's dead letter in full, and a missing one.
func checkDeadLetterGet(t *testing.T, ctx context.Context, cl dispatcherv1.DeadLetterAdminClient, seq uint64, r1 *eventsv1.Reply) {
	t.Helper()
	dl, err := cl.Get(ctx, &dispatcherv1.GetDeadLetterRequest{Sequence: seq})
	if err != nil {
		t.Fatal(err)
	}
	if dl.Reason != "final_status" || dl.LastStatusCode != 400 || len(dl.Attempts) != 1 || dl.Reply.GetTurnId() != r1.TurnId ||
		!bytes.Contains(dl.Body, []byte(`"text":"bad1"`)) || dl.Kind != dispatcherv1.ItemKind_ITEM_KIND_MESSAGE || dl.MessageIndex != 1 {
		t.Errorf("Get = %v", dl)
	}
	if _, err := cl.Get(ctx, &dispatcherv1.GetDeadLetterRequest{Sequence: 9999}); status.Code(err) != codes.NotFound {
		t.Errorf("Get(9999) = %v, want NotFound", err)
	}
}

// checkReplayOfOne replays r1's dead letter by sequence: only the dead part
// is delivered again, with its original body.
func checkReplayOfOne(t *testing.T, ctx context.Context, cl dispatcherv1.DeadLetterAdminClient, rc *receiver, seq uint64, r1 *eventsv1.Reply) {
	t.Helper()
	rep, err := cl.Replay(ctx, &dispatcherv1.ReplayRequest{Selector: &dispatcherv1.Selector{Select: &dispatcherv1.Selector_Sequence{Sequence: seq}}})
	if err != nil || rep.Replayed != 1 {
		t.Fatalf("Replay = %v, %v", rep, err)
	}
	polltest.Until(t, "the replayed message", 10*time.Second, func() bool { return rc.times(r1.Messages[1].MessageId) == 1 })
	for _, h := range rc.snapshot() {
		if h.ID == r1.Messages[1].MessageId && !bytes.Contains(h.Body, []byte(`"text":"bad1"`)) {
			t.Errorf("replayed body %s", h.Body)
		}
	}
	// Only the dead part is replayed: the turn's status is not sent again.
	if n := rc.times(statusID(r1.TurnId)); n != 1 {
		t.Errorf("status of the replayed turn delivered %d times", n)
	}
}

// checkReplayOfRange replays the dead letters of one channel after seq: r3's
// messages follow its status, in their original order.
func checkReplayOfRange(t *testing.T, ctx context.Context, cl dispatcherv1.DeadLetterAdminClient, rc *receiver, seq uint64, r3 *eventsv1.Reply) {
	t.Helper()
	rep, err := cl.Replay(ctx, &dispatcherv1.ReplayRequest{Selector: &dispatcherv1.Selector{Select: &dispatcherv1.Selector_Range{
		Range: &dispatcherv1.SequenceRange{First: seq + 1, Channel: &dispatcherv1.Channel{BotId: botID, InstanceId: "async"}},
	}}})
	if err != nil || rep.Replayed != 2 {
		t.Fatalf("Replay(range) = %v, %v", rep, err)
	}
	polltest.Until(t, "replayed range", 10*time.Second, func() bool {
		return rc.times(r3.Messages[0].MessageId) == 1 && rc.times(r3.Messages[1].MessageId) == 1
	})
	var u3 []string
	for _, h := range rc.snapshot() {
		if h.To == "u3" {
			u3 = append(u3, h.ID)
		}
	}
	// The status was delivered first (its messages were dead); the replays
	// follow in their original order.
	if want := []string{statusID(r3.TurnId), r3.Messages[0].MessageId, r3.Messages[1].MessageId}; !slices.Equal(u3, want) {
		t.Errorf("u3 deliveries %v, want %v", u3, want)
	}
}

// checkPurge purges one channel's dead letters, which leaves none, and
// refuses a replay without a selector.
func checkPurge(t *testing.T, ctx context.Context, cl dispatcherv1.DeadLetterAdminClient) {
	t.Helper()
	pur, err := cl.Purge(ctx, &dispatcherv1.PurgeRequest{Selector: &dispatcherv1.Selector{Select: &dispatcherv1.Selector_Channel{Channel: &dispatcherv1.Channel{BotId: botID, InstanceId: "other"}}}})
	if err != nil || pur.Purged != 1 {
		t.Fatalf("Purge = %v, %v", pur, err)
	}
	left, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{})
	if err != nil || len(left.DeadLetters) != 0 {
		t.Fatalf("List after purge = %v, %v", left, err)
	}
	if _, err := cl.Replay(ctx, &dispatcherv1.ReplayRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Replay without selector = %v", err)
	}
}

// ProactiveAdmin.SendMessage delivers to async channels, in order after the
// user's earlier replies, once per idempotency key, and refuses sync ones.
func TestProactiveSendMessage(t *testing.T) {
	rc := newReceiver(t, nil)
	e := newEnv(t,
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
		registry.Instance{InstanceID: "sync", Mode: registry.ModeSync},
	)
	e.start(fastConfig())
	cc, _, dev := e.adminEndpoint()
	ctx, cancel := context.WithTimeout(dev, 30*time.Second)
	defer cancel()
	cl := dispatcherv1.NewProactiveAdminClient(cc)

	p := e.publisher()
	r := p.reply("async", "alice", "earlier")
	req := &dispatcherv1.SendMessageRequest{
		BotId: botID, InstanceId: "async", FromId: "alice", IdempotencyKey: "notify-42",
		Messages: []*dispatcherv1.ProactiveMessage{
			{Body: &dispatcherv1.ProactiveMessage_Text{Text: "Your card has shipped."}},
			{Body: &dispatcherv1.ProactiveMessage_Text{Text: "Track it in the app."}},
		},
	}
	resp, err := cl.SendMessage(ctx, req)
	if err != nil || len(resp.MessageIds) != 2 {
		t.Fatalf("SendMessage = %v, %v", resp, err)
	}
	again, err := cl.SendMessage(ctx, req)
	if err != nil || again.TurnId != resp.TurnId {
		t.Fatalf("SendMessage again = %v, %v", again, err)
	}
	polltest.Until(t, "proactive delivery", 10*time.Second, func() bool { return rc.distinct() >= 4 })
	var got []string
	for _, h := range rc.snapshot() {
		got = append(got, h.ID)
	}
	want := []string{r.Messages[0].MessageId, statusID(r.TurnId), resp.MessageIds[0], resp.MessageIds[1]}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	if b := string(rc.snapshot()[2].Body); b != `{"to":"alice","from":"`+botID+`","text":"Your card has shipped."}` {
		t.Errorf("proactive body %s", b)
	}

	_, err = cl.SendMessage(ctx, &dispatcherv1.SendMessageRequest{BotId: botID, InstanceId: "sync", FromId: "bob",
		Messages: []*dispatcherv1.ProactiveMessage{{Body: &dispatcherv1.ProactiveMessage_Text{Text: "x"}}}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("SendMessage(sync) = %v, want FailedPrecondition", err)
	}
	_, err = cl.SendMessage(ctx, &dispatcherv1.SendMessageRequest{BotId: botID, InstanceId: "nope", FromId: "bob",
		Messages: []*dispatcherv1.ProactiveMessage{{Body: &dispatcherv1.ProactiveMessage_Text{Text: "x"}}}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("SendMessage(unknown) = %v, want NotFound", err)
	}
}

// The admin endpoint may start before any dispatcher (in the one binary it
// does): its calls are Unavailable until a replica answers, then reach it.
// EnableChannel re-enables a channel disabled by a 410.
func TestAdminEndpointBeforeDispatcherAndEnableChannel(t *testing.T) {
	var gone atomic.Bool
	gone.Store(true)
	rc := newReceiver(t, func(*http.Request, []byte, int64) int {
		if gone.Load() {
			return http.StatusGone
		}
		return http.StatusOK
	})
	e := newEnv(t, registryInstance("async", rc.url()))
	cc, _, dev := e.adminEndpoint()
	cl := dispatcherv1.NewDeadLetterAdminClient(cc)
	ctx, cancel := context.WithTimeout(dev, 20*time.Second)
	defer cancel()
	_, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "no replica serving parley.dispatcher.v1.DeadLetterAdmin") {
		t.Fatalf("List before the dispatcher = %v, want Unavailable", err)
	}
	d := e.start(fastConfig())

	p := e.publisher()
	p.reply("async", "u1", "one")
	polltest.Until(t, "disabled", 10*time.Second, func() bool { return d.svc.ChannelDisabled(botID, "async") })
	gone.Store(false)
	res, err := cl.EnableChannel(ctx, &dispatcherv1.EnableChannelRequest{Channel: &dispatcherv1.Channel{BotId: botID, InstanceId: "async"}})
	if err != nil || !res.WasDisabled {
		t.Fatalf("EnableChannel = %v, %v", res, err)
	}
	polltest.Until(t, "enabled on the replica", 5*time.Second, func() bool { return !d.svc.ChannelDisabled(botID, "async") })
	r := p.reply("async", "u1", "two")
	polltest.Until(t, "delivery after re-enable", 10*time.Second, func() bool {
		return rc.times(r.Messages[0].MessageId) == 1
	})
}

// Every method of DeadLetterAdmin and ProactiveAdmin refuses a call without
// a valid token, and a viewer's call to a method that changes something;
// a viewer reads.
func TestAdminRefusesUnauthenticatedAndWrongRole(t *testing.T) {
	e := newEnv(t, registryInstance("async", "http://127.0.0.1:9/hook"))
	e.start(fastConfig())
	cc, viewer, _ := e.adminEndpoint()
	dl := dispatcherv1.NewDeadLetterAdminClient(cc)
	pa := dispatcherv1.NewProactiveAdminClient(cc)
	sel := &dispatcherv1.Selector{Select: &dispatcherv1.Selector_Sequence{Sequence: 1}}
	channel := &dispatcherv1.Channel{BotId: botID, InstanceId: "async"}
	calls := map[string]func(context.Context) error{
		dispatcherv1.DeadLetterAdmin_List_FullMethodName: func(ctx context.Context) error {
			_, err := dl.List(ctx, &dispatcherv1.ListDeadLettersRequest{})
			return err
		},
		dispatcherv1.DeadLetterAdmin_Get_FullMethodName: func(ctx context.Context) error {
			_, err := dl.Get(ctx, &dispatcherv1.GetDeadLetterRequest{Sequence: 1})
			return err
		},
		dispatcherv1.DeadLetterAdmin_Replay_FullMethodName: func(ctx context.Context) error {
			_, err := dl.Replay(ctx, &dispatcherv1.ReplayRequest{Selector: sel})
			return err
		},
		dispatcherv1.DeadLetterAdmin_Purge_FullMethodName: func(ctx context.Context) error {
			_, err := dl.Purge(ctx, &dispatcherv1.PurgeRequest{Selector: sel})
			return err
		},
		dispatcherv1.DeadLetterAdmin_EnableChannel_FullMethodName: func(ctx context.Context) error {
			_, err := dl.EnableChannel(ctx, &dispatcherv1.EnableChannelRequest{Channel: channel})
			return err
		},
		dispatcherv1.ProactiveAdmin_SendMessage_FullMethodName: func(ctx context.Context) error {
			_, err := pa.SendMessage(ctx, &dispatcherv1.SendMessageRequest{BotId: botID, InstanceId: "async", FromId: "mallory",
				Messages: []*dispatcherv1.ProactiveMessage{{Body: &dispatcherv1.ProactiveMessage_Text{Text: "click here"}}}})
			return err
		},
	}
	if len(calls) != len(dispatcher.AdminService(e.conn).Policy) {
		t.Fatalf("the test covers %d methods, the policy names %d", len(calls), len(dispatcher.AdminService(e.conn).Policy))
	}
	reads := map[string]bool{dispatcherv1.DeadLetterAdmin_List_FullMethodName: true, dispatcherv1.DeadLetterAdmin_Get_FullMethodName: true}
	for method, call := range calls {
		t.Run(method[strings.LastIndexByte(method, '/')+1:], func(t *testing.T) {
			// The viewer's context with its token dropped: no credentials.
			ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(viewer, metadata.MD{}), 10*time.Second)
			defer cancel()
			if err := call(ctx); status.Code(err) != codes.Unauthenticated {
				t.Errorf("without a token: %v, want Unauthenticated", err)
			}
			bad := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer not-a-configured-token")
			if err := call(bad); status.Code(err) != codes.Unauthenticated {
				t.Errorf("with an unknown token: %v, want Unauthenticated", err)
			}
			vctx, cancel := context.WithTimeout(viewer, 10*time.Second)
			defer cancel()
			err := call(vctx)
			switch code := status.Code(err); {
			case reads[method] && (code == codes.Unauthenticated || code == codes.PermissionDenied):
				t.Errorf("a viewer reading: %v", err)
			case !reads[method] && code != codes.PermissionDenied:
				t.Errorf("a viewer changing: %v, want PermissionDenied", err)
			}
		})
	}
	if n := e.dlqCount(); n != 0 {
		t.Errorf("%d dead letters: a refused call had an effect", n)
	}
}

// A page of List stops at MaxListBytes, so that large dead letters still
// cross the bus; the page token continues after them.
func TestListPagesLargeDeadLetters(t *testing.T) {
	rc := newReceiver(t, func(_ *http.Request, body []byte, _ int64) int {
		if len(body) > 100_000 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e := newEnv(t, registryInstance("async", rc.url()))
	e.start(fastConfig())
	cc, viewer, _ := e.adminEndpoint()
	cl := dispatcherv1.NewDeadLetterAdminClient(cc)
	ctx, cancel := context.WithTimeout(viewer, 30*time.Second)
	defer cancel()
	p := e.publisher()
	for i := range 3 {
		p.reply("async", fmt.Sprintf("u%d", i), strings.Repeat("x", 120_000))
	}
	polltest.Until(t, "three dead letters", 15*time.Second, func() bool { return e.dlqCount() >= 3 })
	seen, pages, token := 0, 0, ""
	for {
		page, err := cl.List(ctx, &dispatcherv1.ListDeadLettersRequest{PageSize: 50, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		seen, pages, token = seen+len(page.DeadLetters), pages+1, page.NextPageToken
		if token == "" {
			break
		}
	}
	if seen != 3 || pages < 2 {
		t.Errorf("listed %d dead letters in %d pages, want 3 in more than one", seen, pages)
	}
}

// Metrics count deliveries, failures, retries, dead letters and skipped
// sync replies per channel.
func TestMetrics(t *testing.T) {
	var n atomic.Int64
	rc := newReceiver(t, func(_ *http.Request, body []byte, _ int64) int {
		if bytes.Contains(body, []byte("nope")) {
			return http.StatusForbidden
		}
		if n.Add(1)%2 == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	e := newEnv(t,
		registry.Instance{InstanceID: "async", PostURL: rc.url()},
		registry.Instance{InstanceID: "sync", Mode: registry.ModeSync},
	)
	reader := metric.NewManualReader()
	mp := metric.NewMeterProvider(metric.WithReader(reader))
	e.start(fastConfig(), func(d *dispatcher.Deps) { d.Meter = mp })
	p := e.publisher()
	p.reply("sync", "u1", "skip me")
	p.reply("async", "u1", "a", "b", "nope")
	polltest.Until(t, "deliveries", 10*time.Second, func() bool { return rc.distinct() >= 3 && e.dlqCount() >= 1 })

	sums := deliverySums(t, reader)
	async, sync := e.channel("async"), e.channel("sync")
	for key, want := range map[string]int64{
		"delivered/" + async:                 3,
		"dead_lettered/" + async:             1,
		"skipped/" + sync:                    1,
		"parley.delivery.in_flight/" + async: 0,
		"failed/" + async:                    sums["parley.delivery.attempt"] - 3,
		"retried/" + async:                   sums["parley.delivery.attempt"] - 4,
	} {
		if sums[key] != want {
			t.Errorf("%s = %d, want %d (all: %v)", key, sums[key], want, sums)
		}
	}
	if sums["failed/"+async] < 2 {
		t.Errorf("failed = %d, want at least 2", sums["failed/"+async])
	}
}

// deliverySums collects the delivery metrics. Keys are outcome/channel for
// the outcomes counter, and the instrument name for the rest.
func deliverySums(t *testing.T, reader *metric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			addSums(sums, m)
		}
	}
	return sums
}

// addSums adds the data points of m to sums.
func addSums(sums map[string]int64, m metricdata.Metrics) {
	if s, ok := m.Data.(metricdata.Sum[int64]); ok {
		for _, dp := range s.DataPoints {
			channel, _ := dp.Attributes.Value("channel")
			key := m.Name + "/" + channel.AsString()
			if oc, ok := dp.Attributes.Value("outcome"); ok {
				key = oc.AsString() + "/" + channel.AsString()
			}
			sums[key] += dp.Value
		}
	}
	if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "parley.delivery.attempt" {
		for _, dp := range h.DataPoints {
			sums[m.Name] += int64(dp.Count)
		}
	}
}
