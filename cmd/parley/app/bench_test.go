package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/bus"
	"github.com/parleyhq/parley/platform/redistest"
)

// The pipeline benchmarks run one synchronous turn per op through the whole
// one-binary process (HTTP, JWT, JetStream publish, dialog consumer, session
// load and compare-and-set, bot, reply) and compare it with a bare handler
// that only verifies the JWT, decodes the body and answers in Kore's shape:
// the ceiling for any pipeline. Report the ratio of the two, measured in the
// same run.

func benchTurns(b *testing.B, url string, parallel bool) {
	var n atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	tokens := map[string]string{}
	for i := range 64 {
		u := fmt.Sprintf("bench-%d", i)
		tokens[u] = "bearer " + token(b, secretA, jwt.MapClaims{"appId": appA, "sub": u})
	}
	turn := func(i int64) {
		u := fmt.Sprintf("bench-%d", i%64)
		body := fmt.Sprintf(`{"message":{"text":"show my balance"},"from":{"id":%q}}`, u)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Authorization", tokens[u])
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(32) // 64 users in flight on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				turn(n.Add(1))
			}
		})
		return
	}
	for b.Loop() {
		turn(n.Add(1))
	}
}

func benchProcess(b *testing.B, redisURL string) string {
	cfg := testConfig(b, bus.Config{})
	cfg.NATS.URL = "" // the embedded server, in process, as the one binary runs it
	cfg.NATS.Defaults()
	cfg.DataDir = b.TempDir()
	cfg.NATS.Embedded.StoreDir = cfg.DataDir
	cfg.Redis.URL = redisURL
	if redisURL != "" {
		_, prefix := redistest.Client(b)
		cfg.Dialog.RedisKeyPrefix = prefix
	}
	return startProcess(b, cfg, All).base() + "/chatbot/hooks/" + botID
}

func BenchmarkSyncTurnEmbeddedKV(b *testing.B) {
	url := benchProcess(b, "")
	b.Run("sequential", func(b *testing.B) { benchTurns(b, url, false) })
	b.Run("parallel64", func(b *testing.B) { benchTurns(b, url, true) })
}

func BenchmarkSyncTurnEmbeddedRedis(b *testing.B) {
	url := benchProcess(b, redistest.URL())
	b.Run("sequential", func(b *testing.B) { benchTurns(b, url, false) })
	b.Run("parallel64", func(b *testing.B) { benchTurns(b, url, true) })
}

// BenchmarkBareHandler is the ceiling: JWT check, body decode and a Kore
// sync answer, with no bus, no session and no bot.
func BenchmarkBareHandler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "bearer ")
		if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(secretA), nil }, jwt.WithValidMethods([]string{"HS256"})); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"text": []string{"Which account: Savings, Salary or Current?"}, "endOfTask": false})
	}))
	b.Cleanup(srv.Close)
	url := srv.URL + "/chatbot/hooks/" + botID
	b.Run("sequential", func(b *testing.B) { benchTurns(b, url, false) })
	b.Run("parallel64", func(b *testing.B) { benchTurns(b, url, true) })
}
