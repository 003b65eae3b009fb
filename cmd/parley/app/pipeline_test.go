package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/redistest"
	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

func TestSyncTimeoutAnswers504AndTheTurnStillCompletes(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	front := startProcess(t, cfg, Ingress) // no dialog yet: nobody answers
	url := front.base() + "/chatbot/hooks/" + botID + "/hookInstance/fast"

	r := say(t, url, "frank", "show my balance")
	if r.Status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504: %s", r.Status, r.Raw)
	}
	e := r.Body["errors"].([]any)[0].(map[string]any)
	if e["msg"] != "The request has been timed-out" || e["code"] != float64(504) {
		t.Fatalf("error %v", e)
	}
	// The turn was accepted: once a dialog replica runs, it is processed,
	// and its reply reaches the ingress late, where it is counted.
	startProcess(t, cfg, Dialog)
	polltest.Until(t, "the late reply", 15*time.Second, func() bool { return front.ingress.LateReplies() == 1 })
	// The conversation moved on: the next turn answers the entity prompt.
	got := texts(t, say(t, front.base()+"/chatbot/hooks/"+botID, "frank", "Savings"))
	if got[0] != "You have $45,000 in your Savings account." {
		t.Fatalf("the timed-out turn was not applied: %v", got)
	}
}

func TestRedisSessionStore(t *testing.T) {
	_, prefix := redistest.Client(t)
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	cfg.Redis.URL = redistest.URL()
	cfg.Dialog.RedisKeyPrefix = prefix
	p := startProcess(t, cfg, All)
	url := p.base() + "/chatbot/hooks/" + botID
	texts(t, say(t, url, "gina", "show my balance"))
	if got := texts(t, say(t, url, "gina", "salary")); got[0] != "You have $45,000 in your Salary account." {
		t.Fatalf("reply %v", got)
	}
	rdb, _ := redistest.Client(t)
	conv := bus.ConversationKey(botID, appA+"/gina")
	if n := rdb.Exists(t.Context(), prefix+"sess:{"+conv+"}").Val(); n != 1 {
		t.Fatal("the session is not in Redis")
	}
	// A jti is reserved in Redis as well.
	tok := token(t, secretA, map[string]any{"appId": appA, "sub": "gina", "jti": "redis-jti-" + uuid.NewString(), "exp": time.Now().Add(time.Minute).Unix()})
	body := `{"message":{"text":"hi"},"from":{"id":"gina"}}`
	if r := post(t, url, "bearer "+tok, "application/json", body); r.Status != 200 {
		t.Fatalf("first jti use: %d %s", r.Status, r.Raw)
	}
	if r := post(t, url, "bearer "+tok, "application/json", body); r.Status != 401 {
		t.Fatalf("replayed jti: %d %s", r.Status, r.Raw)
	}
}

func TestRedeliveredTurnIsAppliedOnceAndItsReplyEmittedAgain(t *testing.T) {
	srv, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	worker := startProcess(t, cfg, Dialog)
	conn := bustest.Connect(t, busCfg)

	user := appA + "/henry"
	conv := bus.ConversationKey(botID, user)
	replies := make(chan *eventsv1.Reply, 4)
	inbox := busCfg.Subject("test.replies." + uuid.NewString()[:8])
	sub, err := conn.NC.Subscribe(inbox, func(m *nats.Msg) {
		var r eventsv1.Reply
		if proto.Unmarshal(m.Data, &r) == nil {
			replies <- &r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sub.Unsubscribe(); err != nil {
			t.Errorf("unsubscribe from the replies: %v", err)
		}
	}()

	turn := &eventsv1.Turn{
		TurnId: uuid.NewString(), BotId: botID, AppId: appA, UserId: user, FromId: "henry",
		ConversationKey: conv, Text: "show my balance", Mode: eventsv1.Mode_MODE_SYNC,
		ReceivedAt: timestamppb.Now(), ApiVersion: "v1",
	}
	data, _ := proto.Marshal(turn)
	ack, err := conn.Publish(t.Context(), nil, bus.Message{
		Subject: busCfg.TurnSubject(botID, conv), Data: data, ID: turn.TurnId,
		Header: map[string]string{
			bus.HeaderReplyTo:       inbox,
			bus.HeaderReplyDeadline: strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	first := receive(t, replies)

	// Redeliver the same stream message: stop the worker and rewind the
	// partition's consumer to the turn, as a crash before the ack would.
	worker.Stop()
	stream, consumer := busCfg.Name(bus.StreamTurns), fmt.Sprintf("dialog-p%02d", bus.Partition(conv, busCfg.Partitions))
	if err := conn.JS.DeleteConsumer(t.Context(), stream, consumer); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.JS.CreateConsumer(t.Context(), stream, jetstream.ConsumerConfig{
		Durable: consumer, FilterSubject: busCfg.PartitionFilter(bus.SubjectTurns, bus.Partition(conv, busCfg.Partitions)),
		AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: ack.Sequence,
		AckWait: 60 * time.Second, MaxAckPending: 64, MaxDeliver: -1,
	}); err != nil {
		t.Fatal(err)
	}
	startProcess(t, cfg, Dialog)
	second := receive(t, replies)
	if !proto.Equal(first, second) {
		t.Fatalf("the redelivered turn produced another reply:\n%v\n%v", first, second)
	}

	// The session holds the turn once.
	kv, err := conn.JS.KeyValue(t.Context(), busCfg.Name("parley_sessions"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(t.Context(), "sess."+conv)
	if err != nil {
		t.Fatal(err)
	}
	var sess dialogv1.Session
	if err := proto.Unmarshal(e.Value(), &sess); err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Context struct {
			History []any `json:"history"`
		} `json:"context"`
	}
	if err := json.Unmarshal(sess.ContextJson, &stored); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == 0 || len(sess.Recent) != 1 || len(stored.Context.History) != 1 || sess.LastTurnSequence != ack.Sequence {
		t.Fatalf("session after redelivery: revision %d, %d applied turns, %d history entries, last seq %d (turn seq %d)",
			e.Revision(), len(sess.Recent), len(stored.Context.History), sess.LastTurnSequence, ack.Sequence)
	}
	_ = srv
}

func receive(t *testing.T, ch <-chan *eventsv1.Reply) *eventsv1.Reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no reply")
		return nil
	}
}

// TestTwoDialogReplicasKeepEachUsersOrder sends one user's 50 turns while
// other users' turns interleave, through two Parley processes each running a
// dialog replica, and checks every user's turns were applied once each, in
// the order they were accepted, with the work shared by both replicas.
func TestTwoDialogReplicasKeepEachUsersOrder(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	a := startProcess(t, cfg, Ingress, Dialog)
	b := startProcess(t, cfg, Dialog)
	polltest.Until(t, "both replicas to own partitions", 45*time.Second, func() bool {
		return len(a.dialog.OwnedPartitions()) > 0 && len(b.dialog.OwnedPartitions()) > 0 &&
			len(a.dialog.OwnedPartitions())+len(b.dialog.OwnedPartitions()) == busCfg.Partitions
	})
	url := a.base() + "/chatbot/hooks/" + botID + "/hookInstance/async"

	const mainTurns = 50
	// Other users, half of them on each replica's partitions, so that both
	// replicas work while the main user's turns run.
	var others []string
	onA, onB := 0, 0
	for i := 0; len(others) < 8 && i < 1000; i++ {
		user := fmt.Sprintf("u%d", i)
		p := bus.Partition(bus.ConversationKey(botID, appA+"/"+user), busCfg.Partitions)
		switch {
		case slices.Contains(a.dialog.OwnedPartitions(), p) && onA < 4:
			onA++
		case slices.Contains(b.dialog.OwnedPartitions(), p) && onB < 4:
			onB++
		default:
			continue
		}
		others = append(others, user)
	}
	var wg sync.WaitGroup
	send := func(user string, n int) {
		defer wg.Done()
		for i := range n {
			r := say(t, url, user, fmt.Sprintf("message %d", i))
			if r.Status != http.StatusOK || r.Raw != "" {
				t.Errorf("async ack for %s: %d %q", user, r.Status, r.Raw)
				return
			}
		}
	}
	wg.Add(1 + len(others))
	go send("main", mainTurns)
	for _, u := range others {
		go send(u, 10)
	}
	wg.Wait()

	conn := bustest.Connect(t, busCfg)
	want := mainTurns + 10*len(others)
	var byUser map[string][]uint64
	var partitions map[int]bool
	polltest.Until(t, "every reply", 30*time.Second, func() bool {
		s, err := conn.JS.Stream(t.Context(), busCfg.Name(bus.StreamReplies))
		return err == nil && s.CachedInfo().State.Msgs >= uint64(want)
	})
	byUser, partitions = readReplies(t, conn, busCfg)
	for user, seqs := range byUser {
		wantN := 10
		if user == appA+"/main" {
			wantN = mainTurns
		}
		if len(seqs) != wantN {
			t.Errorf("%s: %d replies, want %d", user, len(seqs), wantN)
		}
		if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
			t.Errorf("%s: turns applied out of order or twice: %v", user, seqs)
		}
	}
	owners := map[string]bool{}
	for p := range partitions {
		if slices.Contains(a.dialog.OwnedPartitions(), p) {
			owners["a"] = true
		}
		if slices.Contains(b.dialog.OwnedPartitions(), p) {
			owners["b"] = true
		}
	}
	if len(owners) != 2 {
		t.Fatalf("the users' partitions %v were all served by one replica (a owns %v, b owns %v)",
			partitions, a.dialog.OwnedPartitions(), b.dialog.OwnedPartitions())
	}
}

// readReplies reads the replies stream in order: each user's turn
// sequences, in the order the replies were produced, and the partitions.
func readReplies(t *testing.T, conn *bus.Conn, cfg bus.Config) (map[string][]uint64, map[int]bool) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cons, err := conn.JS.OrderedConsumer(ctx, cfg.Name(bus.StreamReplies), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint64{}
	parts := map[int]bool{}
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var r eventsv1.Reply
			if err := proto.Unmarshal(m.Data(), &r); err != nil {
				t.Fatal(err)
			}
			out[r.UserId] = append(out[r.UserId], r.TurnSequence)
			parts[bus.Partition(r.ConversationKey, cfg.Partitions)] = true
		}
		if n == 0 {
			return out, parts
		}
	}
}
