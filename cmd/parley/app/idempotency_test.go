package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/redistest"
)

// TestIdempotencyKeyRetryIsNotASecondTurn: a client that retries a POST with
// the same Idempotency-Key gets the first reply again, and the bot sees one
// turn, with the records in JetStream KV (one binary) or in Redis.
func TestIdempotencyKeyRetryIsNotASecondTurn(t *testing.T) {
	for _, store := range []string{"kv", "redis"} {
		t.Run(store, func(t *testing.T) {
			_, busCfg := newServer(t)
			cfg := testConfig(t, busCfg)
			if store == "redis" {
				redistest.Client(t) // skips, or fails under CI, without Redis
				cfg.Redis.URL = redistest.URL()
			}
			p := startProcess(t, cfg, All)
			conn := bustest.Connect(t, busCfg)
			turnsStored := func() uint64 {
				s, err := conn.JS.Stream(t.Context(), busCfg.Name(bus.StreamTurns))
				if err != nil {
					t.Fatal(err)
				}
				info, err := s.Info(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				return info.State.Msgs
			}
			url := p.base() + "/chatbot/hooks/" + botID
			// Unique per run: the Redis records outlive the test by a day.
			user := "ivy-" + store + "-" + uuid.NewString()[:8]
			send := func(key, text string) response {
				body, _ := json.Marshal(map[string]any{"message": map[string]any{"text": text}, "from": map[string]any{"id": user}})
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
				req.Header.Set("Authorization", "bearer "+userToken(t, user))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				return do(t, req)
			}

			before := turnsStored()
			first := send("req-1", "show my balance")
			if got := texts(t, first); len(got) != 1 || !strings.Contains(got[0], "Which account") {
				t.Fatalf("first reply %v", got)
			}
			retry := send("req-1", "show my balance")
			if retry.Status != http.StatusOK || retry.Raw != first.Raw || retry.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry: %d %q (replayed %q), want the first reply %q", retry.Status, retry.Raw, retry.Header.Get("Idempotent-Replayed"), first.Raw)
			}
			if n := turnsStored() - before; n != 1 {
				t.Fatalf("%d turns stored for two posts with one key, want 1", n)
			}
			// The conversation goes on from the one turn.
			if got := texts(t, send("req-2", "salary")); got[0] != "You have $45,000 in your Salary account." {
				t.Fatalf("next reply %v", got)
			}
			if r := send("req-1", "salary"); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("key reused with another body: %d %s, want 422", r.Status, r.Raw)
			}
		})
	}
}
