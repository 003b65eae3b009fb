package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeService, nodeType{compile: compileService})
}

// serviceNode calls an HTTP service through the ServiceCaller port and
// keeps the result at context.<node id>.response; a failure goes to
// on_failure.
type serviceNode struct {
	url     *botdef.Template
	headers map[string]*botdef.Template
	body    value
	timeout time.Duration
}

func compileService(c *nodeCompiler) behaviour {
	nd := c.nd
	s := &serviceNode{headers: map[string]*botdef.Template{}, timeout: nd.Timeout}
	switch nd.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		c.add(".method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	if nd.URL == "" {
		c.add(".url", "required")
	} else {
		s.url = c.template(".url", nd.URL)
	}
	for _, k := range sortedKeys(nd.Headers) {
		s.headers[k] = c.template(".headers."+k, nd.Headers[k])
	}
	if nd.Body != nil {
		s.body = c.value(".body", nd.Body)
	}
	if nd.Timeout != 0 && (nd.Timeout < time.Second || nd.Timeout > 20*time.Second) {
		c.add(".timeout", "must be between 1s and 20s (default 5s)")
	}
	if s.timeout == 0 {
		s.timeout = 5 * time.Second
	}
	return s
}

func (s *serviceNode) exec(r *run, n *node) (string, bool, bool) {
	if !s.call(r, n) {
		return r.onFailure(n)
	}
	return r.next(n), false, false
}

// maxServiceBody bounds what a service node keeps of a response.
const maxServiceBody = 256 << 10

// call performs the call; false means failure (transport error, timeout
// or a status outside 2xx).
func (s *serviceNode) call(r *run, n *node) bool {
	req := ServiceRequest{
		Method: n.def.Method, URL: s.url.Render(r.lookup), Header: map[string]string{}, Timeout: s.timeout,
	}
	for k, t := range s.headers {
		req.Header[k] = t.Render(r.lookup)
	}
	if s.body != nil {
		switch b := s.body.eval(r.lookup).(type) {
		case string:
			req.Body = []byte(b)
		default:
			data, err := json.Marshal(b)
			if err != nil {
				r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: encode body: %w", n.def.ID, err))
				return false
			}
			req.Body = data
			if _, ok := headerValue(req.Header, "Content-Type"); !ok {
				req.Header["Content-Type"] = "application/json"
			}
		}
	}
	result := map[string]any{"statusCode": float64(0)}
	r.c[n.def.ID] = map[string]any{"response": result}
	if r.in.Services == nil {
		r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: no service caller configured", n.def.ID))
		return false
	}
	resp, err := r.in.Services.Call(r.ctx, req)
	if err != nil {
		result["error"] = err.Error()
		r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: %w", n.def.ID, err))
		return false
	}
	result["statusCode"] = float64(resp.StatusCode)
	body := resp.Body
	if len(body) > maxServiceBody {
		body = body[:maxServiceBody]
	}
	var decoded any
	if json.Valid(body) && json.Unmarshal(body, &decoded) == nil {
		result["body"] = decoded
	} else {
		result["body"] = string(body)
	}
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

func headerValue(h map[string]string, k string) (string, bool) {
	for hk, v := range h {
		if http.CanonicalHeaderKey(hk) == http.CanonicalHeaderKey(k) {
			return v, true
		}
	}
	return "", false
}
