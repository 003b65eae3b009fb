// Package korewire holds the parts of Kore's V2 webhook format that both
// the ingress (synchronous answers) and the dispatcher (asynchronous POSTs)
// write, so the two cannot drift apart.
package korewire

import "time"

// V2Item is one bot message in a V2 data[] (contract §4.2, §11.5, §11.8):
// type "text" with a string val, or "template" with an object.
type V2Item struct {
	Type      string `json:"type"`
	Val       any    `json:"val"`
	CreatedOn string `json:"createdOn"`
	MessageID string `json:"messageId"`
}

// CreatedOn writes t as Kore's createdOn: UTC with milliseconds.
func CreatedOn(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Outcomes of a SESSION_CLOSURE event (contract §4.4).
const (
	SessionClosureSuccess = "SESSION_CLOSURE_SUCCESS"
	SessionClosureIgnored = "SESSION_CLOSURE_IGNORED"
)

// SessionClosureDescription is Kore's description of a closure outcome.
func SessionClosureDescription(outcome string) string {
	if outcome == SessionClosureSuccess {
		return "session closed successfully"
	}
	return "Active session doesn't exist"
}
