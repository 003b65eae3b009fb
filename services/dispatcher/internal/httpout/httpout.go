// Package httpout is the dispatcher's outbound HTTP client: pooled
// connections, a per-attempt timeout, a bounded response read, no redirects,
// and an SSRF guard that checks the address actually dialled, after DNS, so
// that a name re-pointed at an internal address (DNS rebinding) is refused
// too.
package httpout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/netguard"
	"github.com/parleyhq/parley/platform/otelx"
)

// Options configure a Client.
type Options struct {
	// Timeout bounds one attempt: connect, send and read the response.
	Timeout time.Duration
	// MaxResponseBytes bounds how much of a response body is read (and
	// discarded) so the connection can be reused.
	MaxResponseBytes int64
	// AllowPrivate lets the client reach loopback, private, link-local and
	// shared (CGNAT) addresses. Cloud metadata, unspecified and multicast
	// addresses stay refused.
	AllowPrivate bool
	// MaxConnsPerHost bounds the connections to one endpoint.
	MaxConnsPerHost int
	// Tracer and Meter give each POST a CLIENT span, whose traceparent the
	// request carries, and HTTP client metrics; nil disables them.
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
}

// Client posts webhooks.
type Client struct {
	hc   *http.Client
	opts Options
}

// New builds a client.
func New(o Options) *Client {
	guard := netguard.Guard{AllowPrivate: o.AllowPrivate}
	d := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second, ControlContext: guard.Control}
	tr := &http.Transport{
		Proxy:                 nil, // an environment proxy would dial for us and bypass the guard
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   max(o.MaxConnsPerHost, 2),
		MaxConnsPerHost:       o.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &Client{opts: o, hc: &http.Client{
		Transport: otelx.HTTPTransport(tr, o.Tracer, o.Meter),
		// Standard Webhooks: 3xx is a failure; following a redirect would
		// also let a receiver steer us past the guard's intent.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// CloseIdle closes pooled connections.
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }

// Result is the outcome of one POST.
type Result struct {
	Status     int
	RetryAfter string
	// Snippet is the start of the response body, for error reports.
	Snippet  string
	Err      error
	Duration time.Duration
}

// Post sends body to url with the headers. The attempt has its own timeout
// and ignores the cancellation of ctx: a POST that has started is allowed to
// finish so that its outcome can be recorded (ctx values are kept).
func (c *Client) Post(ctx context.Context, url string, h http.Header, body []byte) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", err), Duration: time.Since(start)}
	}
	req.Header = h
	resp, err := c.hc.Do(req)
	if err != nil {
		return Result{Err: err, Duration: time.Since(start)}
	}
	defer resp.Body.Close()
	var snip [256]byte
	n, _ := io.ReadFull(resp.Body, snip[:])
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, max(c.opts.MaxResponseBytes-int64(n), 0)))
	return Result{
		Status:     resp.StatusCode,
		RetryAfter: resp.Header.Get("Retry-After"),
		Snippet:    string(snip[:n]),
		Duration:   time.Since(start),
	}
}

// Refused reports whether err comes from the guard.
func Refused(err error) bool { return errors.Is(err, netguard.ErrRefused) }

// ParseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, 7*24*3600)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
