package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/polltest"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// postURL is a test receiver recording verified deliveries in order.
type postURL struct {
	*httptest.Server
	mu        sync.Mutex
	bodies    []map[string]any
	ids       []string
	refusals  []string
	traceHdrs []string
}

func newPostURL(t *testing.T, token, secret string) *postURL {
	p := &postURL{}
	verifier, err := webhooksig.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			p.refusals = append(p.refusals, "token")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if err := verifier.Verify(r.Header, body); err != nil {
			p.refusals = append(p.refusals, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		p.bodies = append(p.bodies, m)
		p.ids = append(p.ids, r.Header.Get(webhooksig.HeaderID))
		p.traceHdrs = append(p.traceHdrs, r.Header.Get("traceparent"))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *postURL) received() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.bodies)
}

// asyncConfig points the async instance at a receiver.
func asyncConfig(t *testing.T, cfg Config, url, token, secret string) Config {
	for i, in := range cfg.Registry.Instances {
		if in.InstanceID == "async" {
			cfg.Registry.Instances[i].PostURL = url
			cfg.Registry.Instances[i].AccessToken = token
			cfg.Registry.Instances[i].SigningSecrets = []string{secret}
		}
	}
	return cfg
}

const testSigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestBankingBotInAsyncMode: the POST is acknowledged at once with an empty
// body, and each bot message then arrives at POST_URL as its own signed
// POST, followed by the end-of-task status message, in order.
func TestBankingBotInAsyncMode(t *testing.T) {
	_, busCfg := newServer(t)
	rcv := newPostURL(t, "channel-token", testSigningSecret)
	cfg := asyncConfig(t, testConfig(t, busCfg), rcv.URL, "channel-token", testSigningSecret)
	p := startProcess(t, cfg, All)
	url := p.base() + "/chatbot/hooks/" + botID + "/hookInstance/async"

	for _, text := range []string{"show my balance", "salary"} {
		r := say(t, url, "ann", text)
		if r.Status != http.StatusOK || r.Raw != "" {
			t.Fatalf("async acknowledgement: %d %q, want 200 with an empty body", r.Status, r.Raw)
		}
	}
	polltest.Until(t, "five deliveries", 20*time.Second, func() bool { return len(rcv.received()) >= 5 })
	got := rcv.received()
	want := []map[string]any{
		{"to": "ann", "from": botID, "text": "Which account: Savings, Salary or Current?"},
		{"to": "ann", "from": botID, "endOfTask": false},
		{"to": "ann", "from": botID, "text": "You have $45,000 in your Salary account."},
		{"to": "ann", "from": botID, "text": "Let me know if you need any other assistance"},
		{"to": "ann", "from": botID, "endOfTask": true, "endReason": "Fulfilled",
			"completedTaskId": "dg-eb0cc36e-06ac-5bff-8234-e4adf501a2ef", "completedTaskName": "show balance"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d deliveries, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("delivery %d: %s = %v, want %v (%v)", i, k, got[i][k], v, got[i])
			}
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.refusals) > 0 {
		t.Errorf("deliveries failed verification: %v", rcv.refusals)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(rcv.ids)))) != len(rcv.ids) {
		t.Errorf("webhook-ids repeat: %v", rcv.ids)
	}
}

// TestAgentTransferReachesPOSTURL: what sync mode cannot carry, async does:
// the Agent Transfer node's request reaches POST_URL between the bot's
// message and the status message, and is published for integrations.
func TestAgentTransferReachesPOSTURL(t *testing.T) {
	_, busCfg := newServer(t)
	rcv := newPostURL(t, "channel-token", testSigningSecret)
	cfg := asyncConfig(t, testConfig(t, busCfg), rcv.URL, "channel-token", testSigningSecret)
	p := startProcess(t, cfg, All)
	conn := bustest.Connect(t, busCfg)
	events, err := conn.NC.SubscribeSync(busCfg.Subject(bus.SubjectHandoffs) + ".>")
	if err != nil {
		t.Fatal(err)
	}

	r := say(t, p.base()+"/chatbot/hooks/"+botID+"/hookInstance/async", "hal", "I want to talk to an agent")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d %s", r.Status, r.Raw)
	}
	polltest.Until(t, "three deliveries", 20*time.Second, func() bool { return len(rcv.received()) >= 3 })
	got := rcv.received()
	transfer, _ := got[1]["agentTransfer"].(map[string]any)
	if _, ok := got[0]["text"]; !ok || transfer["queue"] != "banking-support" || transfer["taskName"] != "talk to agent" {
		t.Fatalf("deliveries %v: want the bot's message, then the agent transfer", got)
	}
	if got[2]["endOfTask"] != true {
		t.Fatalf("the status message should come last: %v", got[2])
	}
	msg, err := events.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no handoff event for integrations: %v", err)
	}
	var ev eventsv1.AgentHandoff
	if err := proto.Unmarshal(msg.Data, &ev); err != nil || ev.Queue != "banking-support" || ev.FromId != "hal" {
		t.Fatalf("handoff event %v, %v", &ev, err)
	}
}
