package httpapi

import (
	"context"
	"encoding/json"

	"github.com/parleyhq/parley/platform/korewire"
	"github.com/parleyhq/parley/platform/registry"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// ackV1 is V1's asynchronous acknowledgement: an empty message.
func ackV1(context.Context) []byte { return nil }

// ackV2 is V2's: {"status":"ok","_v":"v2","traceId":"RTM-TRACE-…"}.
func ackV2(ctx context.Context) []byte {
	b, _ := json.Marshal(struct {
		Status  string `json:"status"`
		V       string `json:"_v"`
		TraceID string `json:"traceId"`
	}{"ok", "v2", rtmTraceID(ctx)})
	return b
}

// v2Response is Kore's V2 synchronous response; the task fields follow
// §11.10 as in V1, and a form sits beside data (§11.8).
type v2Response struct {
	To                string            `json:"to"`
	From              string            `json:"from"`
	Data              []korewire.V2Item `json:"data"`
	V                 string            `json:"_v"`
	EndOfTask         bool              `json:"endOfTask"`
	EndReason         string            `json:"endReason,omitempty"`
	CompletedTaskID   string            `json:"completedTaskId,omitempty"`
	CompletedTaskName string            `json:"completedTaskName,omitempty"`
	Form              *v1Form           `json:"form,omitempty"`
}

// closureEvent is the data item answering SESSION_CLOSURE (contract §4.4).
type closureEvent struct {
	Type        string `json:"type"`
	Val         string `json:"val"`
	EventType   string `json:"eventType"`
	Description string `json:"description"`
}

func closureEventFor(outcome string) closureEvent {
	return closureEvent{Type: "event", Val: "SESSION_CLOSURE", EventType: outcome, Description: korewire.SessionClosureDescription(outcome)}
}

func encodeV2(_ registry.Instance, turn *eventsv1.Turn, r *eventsv1.Reply) any {
	if r.SessionClosure != "" {
		return struct {
			Data []closureEvent `json:"data"`
			V    string         `json:"_v"`
		}{[]closureEvent{closureEventFor(r.SessionClosure)}, "v2"}
	}
	out := v2Response{
		To: turn.FromId, From: r.BotId, Data: make([]korewire.V2Item, 0, len(r.Messages)), V: "v2",
		EndOfTask: r.EndOfTask, EndReason: r.EndReason, CompletedTaskID: r.CompletedTaskId, CompletedTaskName: r.CompletedTaskName,
	}
	created := korewire.CreatedOn(r.GetProducedAt().AsTime())
	for _, m := range r.Messages {
		item := korewire.V2Item{Type: "text", CreatedOn: created, MessageID: m.GetMessageId()}
		if t := m.GetTemplate(); t != nil {
			item.Type, item.Val = "template", t.AsMap()
		} else {
			item.Val = m.GetText()
		}
		out.Data = append(out.Data, item)
	}
	if r.Form != nil {
		out.Form = &v1Form{FormDef: r.Form.FormDef.AsMap()}
		if r.Form.FormInitialization != nil {
			out.Form.FormInitialization = r.Form.FormInitialization.AsMap()
		}
	}
	return out
}
