package app

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSampleBotAnswersInKoreSyncShape(t *testing.T) {
	_, busCfg := newServer(t)
	p := startProcess(t, testConfig(t, busCfg), All)
	url := p.base() + "/chatbot/hooks/" + botID

	first := say(t, url, "alice", "show my balance")
	if got := texts(t, first); len(got) != 1 || !strings.Contains(got[0], "Which account") {
		t.Fatalf("first reply %v", got)
	}
	if first.Body["endOfTask"] != false || first.Body["endReason"] != nil {
		t.Fatalf("no task has ended yet, got %s", first.Raw)
	}
	second := say(t, url, "alice", "Salary")
	want := []string{"You have $45,000 in your Salary account.", "Let me know if you need any other assistance"}
	if got := texts(t, second); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("reply %v, want %v", got, want)
	}
	for k, v := range map[string]any{
		"endOfTask": true, "endReason": "Fulfilled",
		"completedTaskId": "dg-eb0cc36e-06ac-5bff-8234-e4adf501a2ef", "completedTaskName": "show balance",
	} {
		if second.Body[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, second.Body[k], v, second.Raw)
		}
	}
	if ct := second.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
}

func TestBothURLFormsServeTheirInstance(t *testing.T) {
	_, busCfg := newServer(t)
	p := startProcess(t, testConfig(t, busCfg), All)
	for i, url := range []string{
		p.base() + "/chatbot/hooks/" + botID,
		p.base() + "/chatbot/hooks/" + botID + "/hookInstance/second",
	} {
		got := texts(t, say(t, url, fmt.Sprintf("user%d", i), "show my balance"))
		if len(got) != 1 || !strings.Contains(got[0], "Which account") {
			t.Fatalf("%s: %v", url, got)
		}
	}
	// Both instances share one app, so they share a user's conversation
	// (contract §11.14): the answer on the first URL continues the task
	// started on the second.
	got := texts(t, say(t, p.base()+"/chatbot/hooks/"+botID, "user1", "Current"))
	if got[0] != "You have $45,000 in your Current account." {
		t.Fatalf("conversation not shared across instances of one app: %v", got)
	}
}

func TestRefusals(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	cfg.Ingress.MaxBodyBytes = 4096
	cfg.Ingress.RateLimit.PerUser = 0.001
	cfg.Ingress.RateLimit.PerUserBurst = 3
	p := startProcess(t, cfg, All)
	hook := p.base() + "/chatbot/hooks/" + botID
	good := `{"message":{"text":"hi"},"from":{"id":"carol"}}`
	auth := "bearer " + userToken(t, "carol")
	now := time.Now()
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"appId": appA}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	jtiTok := token(t, secretA, jwt.MapClaims{"appId": appA, "sub": "dave", "jti": "j-1", "exp": now.Add(10 * time.Minute).Unix()})

	tests := []struct {
		name        string
		method, url string
		auth, ctype string
		body        string
		status      int
		msg         string
	}{
		{"unknown bot", "POST", p.base() + "/chatbot/hooks/st-00000000-0000-0000-0000-000000000000", auth, "application/json", good, 404, "Bot not found"},
		{"unknown instance", "POST", hook + "/hookInstance/nope", auth, "application/json", good, 404, "Bot not found"},
		{"unknown route", "POST", p.base() + "/chatbot/elsewhere", auth, "application/json", good, 404, "Not found"},
		{"GET", "GET", hook, auth, "", "", 405, "Method not allowed"},
		{"no token", "POST", hook, "", "application/json", good, 401, "Invalid Access token"},
		{"alg none", "POST", hook, "bearer " + noneTok, "application/json", good, 401, "signing method none is invalid"},
		{"wrong secret", "POST", hook, "bearer " + token(t, "not-the-secret-at-all", jwt.MapClaims{"appId": appA}), "application/json", good, 401, "signature is invalid"},
		{"another app's token", "POST", hook, "bearer " + token(t, secretB, jwt.MapClaims{"appId": appB}), "application/json", good, 401, "not associated with this channel"},
		{"expired token", "POST", hook, "bearer " + token(t, secretA, jwt.MapClaims{"appId": appA, "exp": now.Add(-time.Hour).Unix()}), "application/json", good, 401, "expired"},
		{"jti first use", "POST", hook, "bearer " + jtiTok, "application/json", `{"message":{"text":"hi"},"from":{"id":"dave"}}`, 200, ""},
		{"jti replayed", "POST", hook, "bearer " + jtiTok, "application/json", `{"message":{"text":"hi"},"from":{"id":"dave"}}`, 401, "possibly a replay"},
		{"jti exp over an hour", "POST", hook, "bearer " + token(t, secretA, jwt.MapClaims{"appId": appA, "jti": "j-2", "exp": now.Add(3 * time.Hour).Unix()}), "application/json", good, 401, `"exp" must be <= 1 hour(s)`},
		{"disabled channel", "POST", hook + "/hookInstance/disabled", auth, "application/json", good, 403, "Channel not enabled"},
		{"unapproved channel", "POST", hook + "/hookInstance/unapproved", auth, "application/json", good, 403, "Channel not enabled"},
		{"text/plain", "POST", hook, auth, "text/plain", good, 415, "Unsupported Media Type"},
		{"too large", "POST", hook, auth, "application/json", `{"message":{"text":"` + strings.Repeat("x", 5000) + `"},"from":{"id":"carol"}}`, 413, "exceeds 4096 bytes"},
		{"not JSON", "POST", hook, auth, "application/json", `{"message":`, 400, "Invalid Request Payload"},
		{"no from.id", "POST", hook, auth, "application/json", `{"message":{"text":"hi"}}`, 400, "from.id is required"},
		{"no message", "POST", hook, auth, "application/json", `{"from":{"id":"carol"}}`, 400, "message is required"},
		{"numeric from.id", "POST", hook, auth, "application/json", `{"message":{"text":"hi"},"from":{"id":42}}`, 400, "from.id must be a non-empty string"},
		{"from.id over 256", "POST", hook, auth, "application/json", `{"message":{"text":"hi"},"from":{"id":"` + strings.Repeat("c", 257) + `"}}`, 400, "from.id has 257 characters"},
		{"text over 3000", "POST", hook, auth, "application/json", `{"message":{"text":"` + strings.Repeat("y", 3001) + `"},"from":{"id":"carol"}}`, 400, "3001 characters"},
		{"rate: first", "POST", hook, auth, "application/json", good, 200, ""},
		{"rate: second", "POST", hook, auth, "application/json", good, 200, ""},
		{"rate: third", "POST", hook, auth, "application/json", good, 200, ""},
		{"rate: fourth", "POST", hook, auth, "application/json", good, 429, "Too Many requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			r := do(t, req)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if tc.status == 200 {
				return
			}
			errs, _ := r.Body["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("body %s is not Kore's error envelope", r.Raw)
			}
			e := errs[0].(map[string]any)
			if e["code"] != float64(tc.status) || !strings.Contains(e["msg"].(string), tc.msg) {
				t.Fatalf("error %v, want code %d and a message with %q", e, tc.status, tc.msg)
			}
			// Contract §8: a bad or missing token is "Invalid Access token"
			// (a reason may follow); only the jti rules have their own text.
			if msg := e["msg"].(string); tc.status == http.StatusUnauthorized && !strings.HasPrefix(msg, "Invalid Access token") &&
				!strings.Contains(msg, "possibly a replay") && !strings.Contains(msg, "1 hour(s)") {
				t.Fatalf("401 message %q does not start with %q", msg, "Invalid Access token")
			}
			if strings.Contains(r.Raw, "secret") {
				t.Fatalf("the refusal leaks a secret: %s", r.Raw)
			}
		})
	}
	if r := do(t, mustRequest(t, "GET", hook)); r.Header.Get("Allow") != "POST" {
		t.Error("405 without Allow: POST")
	}
}

func TestTooLargeChunkedBodyIsRefusedWithoutReadingItAll(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	cfg.Ingress.MaxBodyBytes = 2048
	p := startProcess(t, cfg, Ingress)
	// No Content-Length: the limit must be enforced while reading.
	body := &endlessJSON{}
	req, _ := http.NewRequest(http.MethodPost, p.base()+"/chatbot/hooks/"+botID, body)
	req.Header.Set("Authorization", "bearer "+userToken(t, "erin"))
	req.Header.Set("Content-Type", "application/json")
	r := do(t, req)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if body.sent >= 64<<20 {
		t.Fatalf("the server read %d bytes of an over-limit body", body.sent)
	}
}

// endlessJSON streams a JSON prefix followed by 64 MiB of padding.
type endlessJSON struct{ sent int }

func (e *endlessJSON) Read(p []byte) (int, error) {
	if e.sent > 64<<20 {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = ' '
	}
	if e.sent == 0 {
		copy(p, `{"message":{"text":"`)
	}
	e.sent += len(p)
	return len(p), nil
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
