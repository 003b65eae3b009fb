package httpapi

import (
	"encoding/json"
	"net/http"
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

// errorBody is the Kore error envelope as bytes, for answers that are also
// remembered.
func errorBody(status int, msg string) []byte {
	b, _ := json.Marshal(errorEnvelope{Errors: []koreError{{Msg: msg, Code: status}}})
	return b
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
	msgRouteNotFound = "Not found: webhook URLs are /chatbot/hooks/{botId} and /chatbot/hooks/{botId}/hookInstance/{webHookId}"
	msgIdemKey       = "Invalid Request Payload: Idempotency-Key must be 1 to 255 visible ASCII characters"
	msgIdemInFlight  = "Conflict: a request with this Idempotency-Key is still being processed, retry later"
	msgIdemReused    = "Unprocessable Entity: this Idempotency-Key was already used with a different request body"
)
