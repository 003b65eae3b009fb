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
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/otelx"
)

// ErrRefused is returned (wrapped) when the guard refuses a destination.
var ErrRefused = errors.New("destination address not allowed")

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
	guard := Guard{AllowPrivate: o.AllowPrivate}
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
func Refused(err error) bool { return errors.Is(err, ErrRefused) }

// Guard decides which addresses may be dialled.
type Guard struct{ AllowPrivate bool }

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	reserved = netip.MustParsePrefix("240.0.0.0/4")
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	metadata = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	}
)

// Control is a net.Dialer ControlContext: it runs after name resolution
// with the concrete address about to be connected, and fails closed.
func (g Guard) Control(_ context.Context, _ string, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrRefused, address)
	}
	if reason := g.Check(ap.Addr()); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, ap.Addr(), reason)
	}
	return nil
}

// Check returns why a is refused, or "" if it may be dialled.
func (g Guard) Check(a netip.Addr) string {
	a = a.Unmap()
	if nat64.Contains(a) {
		// The embedded IPv4 address is what the NAT64 gateway reaches.
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, m := range metadata {
		if a == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified() || thisNet.Contains(a):
		return "unspecified"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast():
		return "multicast"
	case a.Is4() && (reserved.Contains(a) || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
		return "reserved"
	}
	if g.AllowPrivate {
		return ""
	}
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case cgnat.Contains(a):
		return "shared address space (CGNAT)"
	}
	return ""
}

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
