// Package httpcall performs service-node HTTP calls. The client is safe by
// construction: the address is checked at dial time, after DNS, so a bot
// cannot reach private, loopback or link-local addresses (cloud metadata
// included) unless the operator allows it; redirects are not followed;
// response bodies are bounded.
package httpcall

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/platform/netguard"
	"github.com/parleyhq/parley/platform/otelx"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// Config of the caller.
type Config struct {
	// AllowPrivate lets calls reach private, loopback and link-local
	// addresses (development, or a bank API inside the cluster); cloud
	// metadata addresses stay refused.
	AllowPrivate bool
	// MaxBody bounds a response body (default 1 MiB).
	MaxBody int64
	// Tracer and Meter give each call a CLIENT span (and traceparent on the
	// request) and HTTP client metrics; nil disables them.
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
}

// Caller implements engine.ServiceCaller.
type Caller struct {
	client  *http.Client
	maxBody int64
}

// ErrBlocked is returned when the target scheme or address is not allowed.
var ErrBlocked = netguard.ErrRefused

// New returns a caller.
func New(cfg Config) *Caller {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	d := &net.Dialer{Timeout: 5 * time.Second, ControlContext: netguard.Guard{AllowPrivate: cfg.AllowPrivate}.Control}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		Proxy:               nil, // a proxy would dial for us and bypass the check
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	return &Caller{
		client: &http.Client{
			Transport:     otelx.HTTPTransport(tr, cfg.Tracer, cfg.Meter),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxBody: cfg.MaxBody,
	}
}

// Call implements engine.ServiceCaller.
func (c *Caller) Call(ctx context.Context, r engine.ServiceRequest) (engine.ServiceResponse, error) {
	timeout := r.Timeout
	if timeout <= 0 || timeout > 20*time.Second {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return engine.ServiceResponse{}, fmt.Errorf("build request: %w", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return engine.ServiceResponse{}, fmt.Errorf("%w: scheme %q", ErrBlocked, req.URL.Scheme)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Parley-ServiceNode/1")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return engine.ServiceResponse{}, fmt.Errorf("%s %s: %w", r.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	if err != nil {
		return engine.ServiceResponse{}, fmt.Errorf("read response of %s: %w", req.URL.Redacted(), err)
	}
	return engine.ServiceResponse{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: data}, nil
}

var _ engine.ServiceCaller = (*Caller)(nil)
