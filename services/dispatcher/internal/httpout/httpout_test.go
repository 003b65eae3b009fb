package httpout

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"Wed, 25 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 25 Nov 2026 11:00:00 GMT", 0, true},
		{"99999999999", 7 * 24 * time.Hour, true},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Redirects are final, response reads are bounded, the timeout applies per
// attempt and a cancelled caller does not abort a POST under way.
func TestClientPost(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
		case "/big":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
		case "/slow":
			answerSlowly(300 * time.Millisecond)
		case "/throttle":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	c := New(Options{Timeout: 150 * time.Millisecond, MaxResponseBytes: 1024, AllowPrivate: true, MaxConnsPerHost: 4})
	ctx := context.Background()

	if r := c.Post(ctx, srv.URL+"/redirect", http.Header{}, nil); r.Status != http.StatusTemporaryRedirect || hits.Load() != 1 {
		t.Errorf("redirect: status %d after %d hits, want 307 and no follow", r.Status, hits.Load())
	}
	if r := c.Post(ctx, srv.URL+"/big", http.Header{}, nil); r.Status != 500 || len(r.Snippet) != 256 {
		t.Errorf("big: status %d snippet %d", r.Status, len(r.Snippet))
	}
	if r := c.Post(ctx, srv.URL+"/slow", http.Header{}, nil); r.Err == nil {
		t.Error("slow: no timeout error")
	}
	if r := c.Post(ctx, srv.URL+"/throttle", http.Header{}, nil); r.Status != 429 || r.RetryAfter != "7" {
		t.Errorf("throttle: %d %q", r.Status, r.RetryAfter)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if r := c.Post(cancelled, srv.URL+"/ok", http.Header{}, []byte("{}")); r.Status != 200 {
		t.Errorf("cancelled caller: %d %v", r.Status, r.Err)
	}
	strict := New(Options{Timeout: time.Second, MaxResponseBytes: 1024})
	if r := strict.Post(ctx, srv.URL+"/ok", http.Header{}, nil); !Refused(r.Err) {
		t.Errorf("loopback not refused: %d %v", r.Status, r.Err)
	}
}
