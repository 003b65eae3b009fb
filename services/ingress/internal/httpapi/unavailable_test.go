package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/idempotency"
	"github.com/parleyhq/parley/services/ingress/internal/polls"
)

// errStoreDown stands for what a store returns while Redis is failing over
// or unreachable (connection refused, READONLY, a timeout).
var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// storeDownToken fails like the jti replay store does when Redis is down:
// with an error that is not a refusal of the token.
type storeDownToken struct{}

func (storeDownToken) Verify(context.Context, string, registry.Instance) (auth.Identity, error) {
	return auth.Identity{}, errStoreDown
}

type downIdempotency struct{}

func (downIdempotency) Claim(context.Context, string, string, time.Duration) (idempotency.Record, bool, error) {
	return idempotency.Record{}, false, errStoreDown
}
func (downIdempotency) Finish(context.Context, string, idempotency.Record) error { return errStoreDown }
func (downIdempotency) Release(context.Context, string) error                    { return errStoreDown }

type downPolls struct{}

func (downPolls) Put(context.Context, string, polls.Record) error { return errStoreDown }
func (downPolls) Take(context.Context, string, polls.Requester) (polls.Record, bool, error) {
	return polls.Record{}, false, errStoreDown
}

func unavailableHandler(t *testing.T, v Verifier, bus *fakeBus) *httptest.Server {
	t.Helper()
	reg := fakeRegistry{insts: map[string]registry.Instance{
		"st-bot/": {BotID: "st-bot", App: "cs-app", Mode: registry.ModeSync, Enabled: true, Approved: true},
	}}
	h, err := New(reg, v, bus, downIdempotency{}, downPolls{}, Limits{MaxBodyBytes: 1 << 16, MaxTextChars: 3000, SyncTimeout: time.Second},
		slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// TestStoreFailuresAnswer503WithRetryAfter: whatever store or bus fails on
// the request path (the jti set, the Idempotency-Key records, the poll
// answers, the turn stream), the client gets 503 with Retry-After in the
// version's error envelope, never a 500, and no turn is published.
func TestStoreFailuresAnswer503WithRetryAfter(t *testing.T) {
	const body = `{"message":{"text":"hi"},"from":{"id":"ann"}}`
	pollID := strings.Repeat("ab", 16)
	cases := []struct {
		name     string
		verifier Verifier
		busDown  bool
		method   string
		path     string
		header   map[string]string
		v2       bool
	}{
		{name: "jti store down, V1", verifier: storeDownToken{}, method: http.MethodPost, path: "/chatbot/hooks/st-bot"},
		{name: "jti store down, V2", verifier: storeDownToken{}, method: http.MethodPost, path: "/chatbot/v2/webhook/st-bot", v2: true},
		{name: "idempotency store down", verifier: anyToken{}, method: http.MethodPost, path: "/chatbot/hooks/st-bot",
			header: map[string]string{HeaderIdempotencyKey: "k-1"}},
		{name: "bus down", verifier: anyToken{}, busDown: true, method: http.MethodPost, path: "/chatbot/v2/webhook/st-bot", v2: true},
		{name: "poll store down", verifier: anyToken{}, method: http.MethodGet, path: "/chatbot/v2/webhook/st-bot/poll/" + pollID, v2: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := &fakeBus{release: make(chan string, 1), fail: tc.busDown}
			ts := unavailableHandler(t, tc.verifier, bus)
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "bearer x")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("%d, Retry-After %q: %s; want 503 with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
			}
			var env struct {
				Errors []struct {
					Msg  string `json:"msg"`
					Code int    `json:"code"`
				} `json:"errors"`
				V string `json:"_v"`
				T string `json:"_t"`
			}
			if err := json.Unmarshal(raw, &env); err != nil || len(env.Errors) != 1 || env.Errors[0].Code != 503 || !strings.Contains(env.Errors[0].Msg, "retry later") {
				t.Fatalf("body %s (%v); want the error envelope with code 503", raw, err)
			}
			if tc.v2 && (env.V != "v2" || !strings.HasPrefix(env.T, "RTM-TRACE-")) {
				t.Fatalf("V2 body %s lacks _v or _t", raw)
			}
			if n := len(bus.published()); n != 0 {
				t.Fatalf("%d turns published by a refused request", n)
			}
		})
	}
}
