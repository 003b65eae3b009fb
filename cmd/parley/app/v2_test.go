package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/polltest"
)

// sayV2 posts a V2 text message.
func sayV2(t *testing.T, url, user, auth, text string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "text", "val": text}, "from": map[string]any{"id": user}})
	return post(t, url, auth, "application/json", string(body))
}

func v2Texts(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK || r.Body["_v"] != "v2" {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	var out []string
	for _, x := range r.Body["data"].([]any) {
		item := x.(map[string]any)
		if item["type"] != "text" || !strings.HasPrefix(item["messageId"].(string), "ms-") {
			t.Fatalf("data item %v", item)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", item["createdOn"].(string)); err != nil {
			t.Fatalf("createdOn %v: %v", item["createdOn"], err)
		}
		out = append(out, item["val"].(string))
	}
	return out
}

// TestV2WebhookSync: the V2 endpoint answers in V2's shape (contract §4.2),
// refuses in V2's envelope (§8) and binds userIdentity to from.id (§2.4).
func TestV2WebhookSync(t *testing.T) {
	_, busCfg := newServer(t)
	p := startProcess(t, testConfig(t, busCfg), All)
	url := p.base() + "/chatbot/v2/webhook/" + botID

	first := sayV2(t, url, "vic", "bearer "+userToken(t, "vic"), "show my balance")
	if got := v2Texts(t, first); len(got) != 1 || !strings.Contains(got[0], "Which account") {
		t.Fatalf("first reply %v", got)
	}
	if first.Body["to"] != "vic" || first.Body["from"] != botID || first.Body["endOfTask"] != false {
		t.Errorf("envelope %s", first.Raw)
	}
	second := sayV2(t, url+"/hookInstance/second", "vic", "bearer "+userToken(t, "vic"), "Salary")
	if got := v2Texts(t, second); len(got) != 2 || got[0] != "You have $45,000 in your Salary account." {
		t.Fatalf("second reply %v", got)
	}
	if second.Body["endOfTask"] != true || second.Body["completedTaskName"] != "show balance" {
		t.Errorf("task fields %s", second.Raw)
	}

	// Refusals carry "_v" and the trace id.
	r := sayV2(t, p.base()+"/chatbot/v2/webhook/st-00000000-0000-5000-8000-00000000dead", "vic", "bearer "+userToken(t, "vic"), "hi")
	if r.Status != http.StatusNotFound || r.Body["_v"] != "v2" || !strings.HasPrefix(r.Body["_t"].(string), "RTM-TRACE-") || len(r.Body["_t"].(string)) != len("RTM-TRACE-")+32 {
		t.Errorf("V2 refusal: %d %s", r.Status, r.Raw)
	}

	// userIdentity must be from.id.
	bound := token(t, secretA, jwt.MapClaims{"appId": appA, "sub": "vic", "userIdentity": "vic"})
	if r := sayV2(t, url, "vic", "bearer "+bound, "show my balance"); r.Status != http.StatusOK {
		t.Errorf("matching userIdentity: %d %s", r.Status, r.Raw)
	}
	if r := sayV2(t, url, "mallory", "bearer "+bound, "show my balance"); r.Status != http.StatusUnauthorized || !strings.Contains(r.Raw, "Invalid Access token") {
		t.Errorf("userIdentity of another user: %d %s", r.Status, r.Raw)
	}
	// V1 ignores the claim, as Kore documents it for V2 only.
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"text": "show my balance"}, "from": map[string]any{"id": "mallory"}})
	if r := post(t, p.base()+"/chatbot/hooks/"+botID, "bearer "+bound, "application/json", string(body)); r.Status != http.StatusOK {
		t.Errorf("V1 with userIdentity: %d %s", r.Status, r.Raw)
	}
}

// TestV2WebhookAsync: the V2 acknowledgement is {"status":"ok","_v":"v2",
// "traceId"}, and POST_URL receives V2 bodies (contract §5).
func TestV2WebhookAsync(t *testing.T) {
	_, busCfg := newServer(t)
	rcv := newPostURL(t, "channel-token", testSigningSecret)
	cfg := asyncConfig(t, testConfig(t, busCfg), rcv.URL, "channel-token", testSigningSecret)
	p := startProcess(t, cfg, All)
	url := p.base() + "/chatbot/v2/webhook/" + botID + "/hookInstance/async"

	r := sayV2(t, url, "ava", "bearer "+userToken(t, "ava"), "show my balance")
	if r.Status != http.StatusOK || r.Body["status"] != "ok" || r.Body["_v"] != "v2" || !strings.HasPrefix(r.Body["traceId"].(string), "RTM-TRACE-") {
		t.Fatalf("V2 acknowledgement: %d %s", r.Status, r.Raw)
	}
	polltest.Until(t, "two deliveries", 20*time.Second, func() bool { return len(rcv.received()) >= 2 })
	got := rcv.received()
	msg, status := got[0], got[1]
	data, _ := msg["data"].([]any)
	if msg["_v"] != "v2" || len(data) != 1 {
		t.Fatalf("message body %v", msg)
	}
	item := data[0].(map[string]any)
	rcv.mu.Lock()
	firstID := rcv.ids[0]
	rcv.mu.Unlock()
	if item["type"] != "text" || item["val"] != "Which account: Savings, Salary or Current?" || item["messageId"] != firstID {
		t.Errorf("data item %v (webhook-id %s)", item, firstID)
	}
	if sd, _ := status["data"].([]any); status["_v"] != "v2" || len(sd) != 0 || status["endOfTask"] != false {
		t.Errorf("status body %v", status)
	}
}

// sendEvent posts a V2 event.
func sendEvent(t *testing.T, url, user, event string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"session": map[string]any{"new": event == "ON_CONNECT"},
		"message": map[string]any{"type": "event", "val": event}, "from": map[string]any{"id": user}})
	return post(t, url, "bearer "+userToken(t, user), "application/json", string(body))
}

// TestV2Events: ON_CONNECT runs the bot's welcome; SESSION_CLOSURE closes
// the session (the task in progress is gone) and says whether there was
// one (contract §3.2, §4.4).
func TestV2Events(t *testing.T) {
	_, busCfg := newServer(t)
	p := startProcess(t, testConfig(t, busCfg), All)
	url := p.base() + "/chatbot/v2/webhook/" + botID
	closure := func(user string) string {
		r := sendEvent(t, url, user, "SESSION_CLOSURE")
		data, _ := r.Body["data"].([]any)
		if r.Status != http.StatusOK || len(data) != 1 {
			t.Fatalf("closure: %d %s", r.Status, r.Raw)
		}
		ev := data[0].(map[string]any)
		if ev["type"] != "event" || ev["val"] != "SESSION_CLOSURE" {
			t.Fatalf("closure event %v", ev)
		}
		return ev["eventType"].(string)
	}

	if got := v2Texts(t, sendEvent(t, url, "eve", "ON_CONNECT")); len(got) != 1 || !strings.HasPrefix(got[0], "Hello!") {
		t.Fatalf("ON_CONNECT answered %v", got)
	}
	if got := closure("nobody"); got != "SESSION_CLOSURE_IGNORED" {
		t.Errorf("closure without a session: %s", got)
	}
	v2Texts(t, sayV2(t, url, "eve", "bearer "+userToken(t, "eve"), "show my balance"))
	if got := closure("eve"); got != "SESSION_CLOSURE_SUCCESS" {
		t.Errorf("closure of an active session: %s", got)
	}
	if got := closure("eve"); got != "SESSION_CLOSURE_IGNORED" {
		t.Errorf("second closure: %s", got)
	}
	// The task that waited for an account is gone with the session.
	if got := v2Texts(t, sayV2(t, url, "eve", "bearer "+userToken(t, "eve"), "Salary")); len(got) != 1 || strings.Contains(got[0], "$45,000") {
		t.Errorf("after the closure, %q still answered the old task: %v", "Salary", got)
	}
}

// TestV2Polling: a V2 turn over its budget is answered with a poll id;
// polling says "Inprogress" until the dialog answers, then gives the answer
// once; after that, and for an unknown id, 400 "No data found" (contract
// §4.3, §11.21). V1 keeps its 504.
func TestV2Polling(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	front := startProcess(t, cfg, Ingress) // no dialog yet: the turn waits
	base := front.base() + "/chatbot/v2/webhook/" + botID + "/hookInstance/fast"
	auth := "bearer " + userToken(t, "pat")

	r := sayV2(t, base, "pat", auth, "show my balance")
	pollID, _ := r.Body["pollId"].(string)
	if r.Status != http.StatusOK || r.Body["_v"] != "v2" || len(pollID) != 32 {
		t.Fatalf("over the budget: %d %s, want a poll id", r.Status, r.Raw)
	}
	getAs := func(auth, id string) response {
		req, _ := http.NewRequest(http.MethodGet, base+"/poll/"+id, nil)
		req.Header.Set("Authorization", auth)
		return do(t, req)
	}
	get := func(id string) response { return getAs(auth, id) }
	if p := get(pollID); p.Status != http.StatusOK || p.Body["status"] != "Inprogress" || p.Body["pollId"] != pollID {
		t.Fatalf("poll while the turn waits: %d %s", p.Status, p.Raw)
	}
	// A poll is bound to its user: another user's token finds nothing, and
	// takes nothing, before and after the answer (§11.21).
	otherUser := "bearer " + userToken(t, "sam")
	notFound := func(p response) bool {
		return p.Status == http.StatusBadRequest && strings.Contains(p.Raw, "No data found") && p.Body["_v"] == "v2"
	}
	if p := getAs(otherUser, pollID); !notFound(p) {
		t.Fatalf("another user's token on a pending poll: %d %s", p.Status, p.Raw)
	}

	startProcess(t, cfg, Dialog)
	var answer response
	polltest.Until(t, "the answer", 20*time.Second, func() bool {
		if p := getAs(otherUser, pollID); !notFound(p) {
			t.Fatalf("another user's token on the poll: %d %s", p.Status, p.Raw)
		}
		answer = get(pollID)
		return answer.Status == http.StatusOK && answer.Body["status"] == nil
	})
	if got := v2Texts(t, answer); len(got) != 1 || !strings.Contains(got[0], "Which account") {
		t.Fatalf("polled answer %v", got)
	}
	if p := get(pollID); p.Status != http.StatusBadRequest || !strings.Contains(p.Raw, "No data found") {
		t.Errorf("second delivery: %d %s", p.Status, p.Raw)
	}
	if p := get("00000000000000000000000000000000"); p.Status != http.StatusBadRequest {
		t.Errorf("unknown poll id: %d %s", p.Status, p.Raw)
	}
	if p := get(strings.Repeat("z", 32)); p.Status != http.StatusBadRequest {
		t.Errorf("malformed poll id: %d %s", p.Status, p.Raw)
	}
}
