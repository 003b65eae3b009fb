package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
)

type koreError struct {
	Msg  string `json:"msg"`
	Code int    `json:"code"`
}

type errorEnvelope struct {
	Errors []koreError `json:"errors"`
}

// writeError is the one place the Kore error envelope is written.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorEnvelope{Errors: []koreError{{Msg: msg, Code: status}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorJSONV1 is Kore's V1 error envelope.
func errorJSONV1(_ context.Context, status int, msg string) []byte {
	b, _ := json.Marshal(errorEnvelope{Errors: []koreError{{Msg: msg, Code: status}}})
	return b
}

// errorJSONV2 is the V2 envelope: the errors, "_v" and the trace id
// (contract §8, §11.26).
func errorJSONV2(ctx context.Context, status int, msg string) []byte {
	b, _ := json.Marshal(struct {
		Errors []koreError `json:"errors"`
		V      string      `json:"_v"`
		T      string      `json:"_t"`
	}{Errors: []koreError{{Msg: msg, Code: status}}, V: "v2", T: rtmTraceID(ctx)})
	return b
}

// rtmTraceID is Kore's trace id: "RTM-TRACE-" and the request's 32-hex
// OpenTelemetry trace id (a random one when the request is not traced).
func rtmTraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return "RTM-TRACE-" + sc.TraceID().String()
	}
	return "RTM-TRACE-" + strings.ReplaceAll(uuid.NewString(), "-", "")
}

// writeBody writes a JSON body already encoded; an empty body is sent as
// is (V1's asynchronous acknowledgement).
func writeBody(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// retryAfterUnavailable is the Retry-After, in seconds, of every 503: a
// dependency (Redis failing over, NATS reconnecting, a stream electing a
// leader) is expected back within seconds, and the client should retry the
// same request rather than give up.
const retryAfterUnavailable = "1"

// Messages of the documented refusals.
const (
	msgBotNotFound   = "Bot not found"
	msgNotEnabled    = "Channel not enabled"
	msgTooMany       = "Too Many requests"
	msgTimedOut      = "The request has been timed-out"
	msgUnavailable   = "Service unavailable: the message was not accepted, retry later"
	msgInternal      = "Internal error: the message was not accepted, retry later"
	msgMethod        = "Method not allowed: use POST"
	msgMediaType     = "Unsupported Media Type: send Content-Type: application/json"
	msgTooLarge      = "Request Entity Too Large: the body exceeds %d bytes"
	msgRouteNotFound = "Not found: webhook URLs are /chatbot/hooks/{botId}[/hookInstance/{webHookId}] (V1) and /chatbot/v2/webhook/{botId}[/hookInstance/{webHookId}] (V2)"
	msgIdemKey       = "Invalid Request Payload: Idempotency-Key must be 1 to 255 visible ASCII characters"
	msgIdemInFlight  = "Conflict: a request with this Idempotency-Key is still being processed, retry later"
	msgIdemReused    = "Unprocessable Entity: this Idempotency-Key was already used with a different request body"
	msgInvalidToken  = "Invalid Access token"
)
