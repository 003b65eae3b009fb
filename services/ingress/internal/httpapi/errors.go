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
)
