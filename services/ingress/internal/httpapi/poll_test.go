package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/redistest"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/polls"
)

const (
	pollApp    = "cs-11111111-1111-1111-1111-111111111111"
	pollSecret = "poll-test-secret-0123456789"
)

// newPollHandler serves V2 with the real token check and the real Redis
// poll store; only the bus is faked. The budget is short, so every sync
// turn is answered with a poll id until the test releases the reply.
// answered reports, without taking it, whether a poll holds its answer.
func newPollHandler(t *testing.T, bus *fakeBus) (ts *httptest.Server, answered func(pollID string) bool) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	verifier := auth.NewVerifier(benchApps{pollApp: {ClientID: pollApp, ClientSecret: pollSecret, Algorithms: []string{"HS256"}, Audiences: registry.DefaultAudiences}},
		noReplay{}, time.Minute)
	reg := fakeRegistry{insts: map[string]registry.Instance{
		"st-bot/": {BotID: "st-bot", App: pollApp, Mode: registry.ModeSync, Enabled: true, Approved: true, SyncTimeout: 50 * time.Millisecond},
	}}
	h, err := New(reg, verifier, bus, nil, polls.NewRedis(rdb, prefix), Limits{MaxBodyBytes: 1 << 16, MaxTextChars: 3000, SyncTimeout: 10 * time.Second},
		slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts = httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, func(pollID string) bool {
		var rec polls.Record
		raw, err := rdb.Get(t.Context(), prefix+"poll:"+pollID).Bytes()
		return err == nil && json.Unmarshal(raw, &rec) == nil && rec.Done
	}
}

func pollToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	claims["appId"] = pollApp
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(pollSecret))
	if err != nil {
		t.Fatal(err)
	}
	return "bearer " + s
}

type pollAnswer struct {
	status int
	body   map[string]any
	raw    string
}

func pollDo(t *testing.T, method, url, token, body string) pollAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := pollAnswer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// openPoll sends a V2 turn as from.id with token and returns its poll id.
func openPoll(t *testing.T, base, token, fromID string) string {
	t.Helper()
	a := pollDo(t, http.MethodPost, base, token, `{"message":{"type":"text","val":"show my balance"},"from":{"id":"`+fromID+`"}}`)
	id, _ := a.body["pollId"].(string)
	if a.status != http.StatusOK || len(id) != 32 {
		t.Fatalf("over the budget: %d %s, want a poll id", a.status, a.raw)
	}
	return id
}

func isNoData(a pollAnswer) bool {
	errs, _ := a.body["errors"].([]any)
	if a.status != http.StatusBadRequest || len(errs) != 1 || a.body["_v"] != "v2" {
		return false
	}
	e, _ := errs[0].(map[string]any)
	return e["msg"] == "No data found" && e["code"] == float64(http.StatusBadRequest)
}

// TestPollBoundToUser: a poll id is bound to the user of the turn (contract
// §11.21): another user's token gets 400 "No data found", as for an
// unknown id, whether the answer is pending or ready, and does not use the
// answer up; the owner's token then gets it once.
func TestPollBoundToUser(t *testing.T) {
	bus := &fakeBus{release: make(chan string, 1)}
	ts, answered := newPollHandler(t, bus)
	base := ts.URL + "/chatbot/v2/webhook/st-bot"
	u10 := pollToken(t, jwt.MapClaims{"sub": "u10"})
	u11 := pollToken(t, jwt.MapClaims{"sub": "u11"})

	id := openPoll(t, base, u10, "u10")
	get := func(token string) pollAnswer { return pollDo(t, http.MethodGet, base+"/poll/"+id, token, "") }
	if a := get(u11); !isNoData(a) {
		t.Fatalf("another user's token on a pending poll: %d %s", a.status, a.raw)
	}
	if a := get(u10); a.status != http.StatusOK || a.body["status"] != "Inprogress" {
		t.Fatalf("the owner's token on a pending poll: %d %s", a.status, a.raw)
	}

	bus.release <- "Which account?"
	waitFor(t, func() bool { return answered(id) })
	if a := get(u11); !isNoData(a) {
		t.Fatalf("another user's token on the answer: %d %s", a.status, a.raw)
	}
	a := get(u10)
	if data, _ := a.body["data"].([]any); a.status != http.StatusOK || len(data) != 1 {
		t.Fatalf("the owner's token after another user's tries: %d %s", a.status, a.raw)
	}
	if a := get(u10); !isNoData(a) {
		t.Fatalf("the answer delivered twice: %d %s", a.status, a.raw)
	}
}

// TestPollUserIdentity: a token bound to a from.id by userIdentity reads
// that from.id's polls and no other; a token naming no user gets no poll
// id, since no token could read it back, but the 504 of polling off.
func TestPollUserIdentity(t *testing.T) {
	bus := &fakeBus{release: make(chan string, 1)}
	ts, _ := newPollHandler(t, bus)
	base := ts.URL + "/chatbot/v2/webhook/st-bot"

	id := openPoll(t, base, pollToken(t, jwt.MapClaims{"userIdentity": "u10"}), "u10")
	get := func(token string) pollAnswer { return pollDo(t, http.MethodGet, base+"/poll/"+id, token, "") }
	for name, token := range map[string]string{
		"another userIdentity":                  pollToken(t, jwt.MapClaims{"userIdentity": "u11", "sub": "u10"}),
		"a sub equal to the from.id":            pollToken(t, jwt.MapClaims{"sub": "u10"}),
		"no user claim":                         pollToken(t, jwt.MapClaims{}),
		"the userIdentity with a bad signature": pollToken(t, jwt.MapClaims{"userIdentity": "u10"}) + "x",
	} {
		if a := get(token); a.status == http.StatusOK {
			t.Errorf("%s read the poll: %d %s", name, a.status, a.raw)
		}
	}
	if a := get(pollToken(t, jwt.MapClaims{"userIdentity": "u10", "sub": "anyone"})); a.status != http.StatusOK || a.body["status"] != "Inprogress" {
		t.Fatalf("a token bound to the from.id: %d %s", a.status, a.raw)
	}

	a := pollDo(t, http.MethodPost, base, pollToken(t, jwt.MapClaims{}), `{"message":{"type":"text","val":"hi"},"from":{"id":"u12"}}`)
	if a.status != http.StatusGatewayTimeout || a.body["pollId"] != nil || !strings.Contains(a.raw, "The request has been timed-out") {
		t.Fatalf("a token without a user over the budget: %d %s, want 504 without a poll id", a.status, a.raw)
	}
}
