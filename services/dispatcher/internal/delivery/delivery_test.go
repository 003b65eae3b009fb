package delivery

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/netguard"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher/internal/httpout"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		r    httpout.Result
		want outcome
	}{
		{httpout.Result{Status: 200}, outDelivered},
		{httpout.Result{Status: 204}, outDelivered},
		{httpout.Result{Status: 301}, outFinal},
		{httpout.Result{Status: 400}, outFinal},
		{httpout.Result{Status: 404}, outFinal},
		{httpout.Result{Status: 408}, outRetry},
		{httpout.Result{Status: 410}, outGone},
		{httpout.Result{Status: 425}, outRetry},
		{httpout.Result{Status: 429}, outBackpressure},
		{httpout.Result{Status: 500}, outRetry},
		{httpout.Result{Status: 502}, outRetry},
		{httpout.Result{Status: 503}, outBackpressure},
		{httpout.Result{Err: errors.New("connection refused")}, outRetry},
		{httpout.Result{Err: netguard.ErrRefused}, outRefused},
	} {
		if got := classify(tc.r); got != tc.want {
			t.Errorf("classify(%d, %v) = %v, want %v", tc.r.Status, tc.r.Err, got, tc.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	j := &job{e: &Engine{set: Settings{Jitter: 0.2}}}
	for range 1000 {
		if d := j.jitter(10 * time.Second); d < 8*time.Second || d > 12*time.Second {
			t.Fatalf("jitter(10s) = %v, outside ±20%%", d)
		}
	}
	if d := j.jitter(0); d != 0 {
		t.Errorf("jitter(0) = %v", d)
	}
	if d := j.jitter(24 * time.Hour); d < 19*time.Hour || d > 29*time.Hour {
		t.Errorf("jitter(24h) = %v", d)
	}
	now := time.Now()
	for _, tc := range []struct {
		ra       string
		min, max time.Duration
	}{
		{"", 8 * time.Second, 12 * time.Second},
		{"1", 10 * time.Second, 10 * time.Second},    // clamped up to the schedule
		{"15", 15 * time.Second, 15 * time.Second},   // within [d, 2d]
		{"3600", 20 * time.Second, 20 * time.Second}, // clamped down to 2d
		{now.Add(time.Hour).UTC().Format(http.TimeFormat), 20 * time.Second, 20 * time.Second},
	} {
		d := j.retryDelay(10*time.Second, httpout.Result{RetryAfter: tc.ra})
		if d < tc.min || d > tc.max {
			t.Errorf("Retry-After %q: delay %v, want [%v, %v]", tc.ra, d, tc.min, tc.max)
		}
	}
}

func TestSchedulePerInstance(t *testing.T) {
	j := &job{e: &Engine{set: Settings{Schedule: []time.Duration{0, time.Second}}}}
	if s := j.schedule(); len(s) != 2 {
		t.Errorf("default schedule %v", s)
	}
	j.inst = registry.Instance{RetrySchedule: []time.Duration{0, 1, 2, 3}}
	if s := j.schedule(); len(s) != 4 {
		t.Errorf("instance schedule %v", s)
	}
}

func TestBuildItemsParts(t *testing.T) {
	r := &eventsv1.Reply{
		TurnId: "t1", BotId: "st-1", FromId: "u",
		Messages: []*eventsv1.BotMessage{{Body: &eventsv1.BotMessage_Text{Text: "a"}}, {MessageId: "ms-x", Body: &eventsv1.BotMessage_Text{Text: "b"}}},
		Form:     &eventsv1.Form{},
	}
	all, err := BuildItems(r, "")
	if err != nil || len(all) != 4 {
		t.Fatalf("BuildItems = %d items, %v", len(all), err)
	}
	if all[0].ID != DerivedID("t1", "message/0") || all[1].ID != "ms-x" || all[3].ID != DerivedID("t1", "status") {
		t.Errorf("ids %s %s %s", all[0].ID, all[1].ID, all[3].ID)
	}
	if string(all[2].Body) != `{"to":"u","from":"st-1","form":{}}` || string(all[3].Body) != `{"to":"u","from":"st-1","endOfTask":false}` {
		t.Errorf("bodies %s / %s", all[2].Body, all[3].Body)
	}
	again, _ := BuildItems(r, "")
	if again[0].ID != all[0].ID {
		t.Error("derived ids are not stable")
	}
	msgs, _ := BuildItems(r, "messages")
	if len(msgs) != 2 {
		t.Errorf("messages only: %d items", len(msgs))
	}
	st, _ := BuildItems(r, " status ")
	if len(st) != 1 || st[0].ID != all[3].ID {
		t.Errorf("status only: %v", st)
	}
}

// A turn that came in on V2 is delivered in V2 bodies (contract §5, §11.3,
// §11.5, §11.8): one data item per POST whose messageId is the POST's id,
// the form and the status beside an empty data.
func TestBuildItemsV2(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 30, 0, 123e6, time.UTC)
	tpl, _ := structpb.NewStruct(map[string]any{"type": "template"})
	r := &eventsv1.Reply{
		TurnId: "t1", BotId: "st-1", FromId: "u", ApiVersion: "v2", ProducedAt: timestamppb.New(at),
		EndOfTask: true, EndReason: "Fulfilled", CompletedTaskName: "show balance",
		Messages: []*eventsv1.BotMessage{
			{MessageId: "ms-a", Body: &eventsv1.BotMessage_Text{Text: "Hi"}},
			{MessageId: "ms-b", Body: &eventsv1.BotMessage_Template{Template: tpl}},
		},
		Form: &eventsv1.Form{},
	}
	items, err := BuildItems(r, "")
	if err != nil || len(items) != 4 {
		t.Fatalf("BuildItems = %d items, %v", len(items), err)
	}
	want := []string{
		`{"data":[{"type":"text","val":"Hi","createdOn":"2026-11-25T10:30:00.123Z","messageId":"ms-a"}],"_v":"v2"}`,
		`{"data":[{"type":"template","val":{"type":"template"},"createdOn":"2026-11-25T10:30:00.123Z","messageId":"ms-b"}],"_v":"v2"}`,
		`{"data":[],"_v":"v2","form":{}}`,
		`{"data":[],"_v":"v2","endOfTask":true,"endReason":"Fulfilled","completedTaskName":"show balance"}`,
	}
	for i, w := range want {
		if string(items[i].Body) != w {
			t.Errorf("item %d = %s\nwant %s", i, items[i].Body, w)
		}
	}
}

// A V2 SESSION_CLOSURE is answered by its event alone; V1 has no events.
func TestBuildItemsSessionClosure(t *testing.T) {
	r := &eventsv1.Reply{TurnId: "t2", BotId: "st-1", FromId: "u", ApiVersion: "v2", SessionClosure: "SESSION_CLOSURE_SUCCESS"}
	items, err := BuildItems(r, "")
	want := `{"_v":"v2","data":[{"description":"session closed successfully","eventType":"SESSION_CLOSURE_SUCCESS","type":"event","val":"SESSION_CLOSURE"}]}`
	if err != nil || len(items) != 1 || string(items[0].Body) != want {
		t.Fatalf("V2 closure items %v %v", items, err)
	}
	r.ApiVersion = ""
	if items, _ := BuildItems(r, ""); len(items) != 1 || items[0].Kind.String() != "ITEM_KIND_STATUS" {
		t.Errorf("V1 closure items %v", items)
	}
}

func TestLedgerKey(t *testing.T) {
	if k := key("ms-4b1e-ab_9="); k != "ms-4b1e-ab_9=" {
		t.Errorf("safe id changed: %s", k)
	}
	k1, k2 := key("a.b"), key("a b")
	if k1 == k2 || len(k1) != 34 || !keySafe.MatchString(k1) {
		t.Errorf("unsafe ids: %q %q", k1, k2)
	}
}
