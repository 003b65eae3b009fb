package httpcall

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

func TestCallBlocksLoopbackAtDialTime(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	_, err := New(Config{}).Call(t.Context(), engine.ServiceRequest{Method: "GET", URL: srv.URL})
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	// A name that resolves to loopback is blocked too: the check is after DNS.
	_, err = New(Config{}).Call(t.Context(), engine.ServiceRequest{Method: "GET", URL: "http://localhost:" + srv.URL[len("http://127.0.0.1:"):]})
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("localhost: err = %v, want ErrBlocked", err)
	}
	if hit {
		t.Fatal("the blocked server was reached")
	}
}

func TestCallAllowedPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"echo":` + string(b) + `,"h":"` + r.Header.Get("X-Test") + `"}`))
	}))
	defer srv.Close()
	resp, err := New(Config{AllowPrivate: true}).Call(t.Context(), engine.ServiceRequest{
		Method: "POST", URL: srv.URL, Body: []byte(`1`), Header: map[string]string{"X-Test": "yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || string(resp.Body) != `{"echo":1,"h":"yes"}` {
		t.Fatalf("resp = %d %s", resp.StatusCode, resp.Body)
	}
}

func TestCallTimeoutAndRedirect(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
			return
		}
		<-block
	}))
	defer srv.Close()
	defer close(block)
	c := New(Config{AllowPrivate: true})
	start := time.Now()
	_, err := c.Call(t.Context(), engine.ServiceRequest{Method: "GET", URL: srv.URL, Timeout: 200 * time.Millisecond})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want a timeout near 200ms", err, time.Since(start))
	}
	resp, err := c.Call(t.Context(), engine.ServiceRequest{Method: "GET", URL: srv.URL + "/redirect"})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v, want the 302 itself", resp.StatusCode, err)
	}
	if _, err := c.Call(t.Context(), engine.ServiceRequest{Method: "GET", URL: "file:///etc/passwd"}); !errors.Is(err, ErrBlocked) {
		t.Fatalf("file scheme: %v", err)
	}
}
