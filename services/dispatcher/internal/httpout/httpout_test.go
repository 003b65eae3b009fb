package httpout

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestGuardCheck(t *testing.T) {
	cases := []struct {
		addr            string
		strict, relaxed bool // allowed without / with AllowPrivate
	}{
		{"93.184.216.34", true, true},
		{"2606:2800:220:1:248:1893:25c8:1946", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"192.168.1.1", false, true},
		{"fd12:3456::1", false, true},
		{"100.64.0.1", false, true},
		{"100.127.255.254", false, true},
		{"100.128.0.1", true, true},
		{"169.254.10.1", false, true},
		{"fe80::1", false, true},
		{"169.254.169.254", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"0.1.2.3", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::7f00:1", false, true},     // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false, false}, // NAT64 of the metadata address
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := (Guard{}).Check(a) == ""; got != tc.strict {
			t.Errorf("strict Check(%s) allowed=%v, want %v", tc.addr, got, tc.strict)
		}
		if got := (Guard{AllowPrivate: true}).Check(a) == ""; got != tc.relaxed {
			t.Errorf("relaxed Check(%s) allowed=%v, want %v", tc.addr, got, tc.relaxed)
		}
	}
}

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
			time.Sleep(300 * time.Millisecond)
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
