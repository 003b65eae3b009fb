package delivery

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// Headers the dispatcher reads on PARLEY_OUT messages besides the dialog's.
const (
	// HeaderParts lists the parts of the reply to deliver ("messages",
	// "form", "status", comma-separated); absent means all of them. Proactive
	// sends carry "messages" (no turn ended), replays the one part replayed.
	HeaderParts = "Parley-Deliver"
	// HeaderReplay marks a replay from the DLQ: a message recorded as
	// dead-lettered is attempted again.
	HeaderReplay = "Parley-Replay"
)

// Part names for HeaderParts.
const (
	PartMessages = "messages"
	PartForm     = "form"
	PartHandoff  = "agent_transfer"
	PartStatus   = "status"
)

// idSpace namespaces the derived (UUID v5) message ids.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/parleyhq/parley/dispatcher"))

// DerivedID is the stable message id of a part of a turn that has no id of
// its own, e.g. DerivedID(turnID, "status").
func DerivedID(turnID, part string) string {
	return "ms-" + uuid.NewSHA1(idSpace, []byte(turnID+"/"+part)).String()
}

// Item is one POST: a bot message, the form, or the status message.
type Item struct {
	ID    string
	Kind  dispatcherv1.ItemKind
	Index int
	Body  []byte
}

type parts struct{ messages, form, handoff, status bool }

func parseParts(h string) parts {
	if h == "" {
		return parts{true, true, true, true}
	}
	var p parts
	for _, f := range strings.Split(h, ",") {
		switch strings.TrimSpace(f) {
		case PartMessages:
			p.messages = true
		case PartForm:
			p.form = true
		case PartHandoff:
			p.handoff = true
		case PartStatus:
			p.status = true
		}
	}
	return p
}

// v1Message is the V1 asynchronous body of one bot message (contract §5).
type v1Message struct {
	To   string `json:"to"`
	From string `json:"from"`
	Text any    `json:"text"`
}

// v1Status is the V1 end-of-task message (contract §11.3, §11.10).
type v1Status struct {
	To                string `json:"to"`
	From              string `json:"from"`
	EndOfTask         bool   `json:"endOfTask"`
	EndReason         string `json:"endReason,omitempty"`
	CompletedTaskID   string `json:"completedTaskId,omitempty"`
	CompletedTaskName string `json:"completedTaskName,omitempty"`
}

// v1Handoff tells the receiver that the bot hands the user to a human
// agent (Kore's Agent Transfer, which only asynchronous channels carry).
type v1Handoff struct {
	To            string      `json:"to"`
	From          string      `json:"from"`
	AgentTransfer handoffBody `json:"agentTransfer"`
}

type handoffBody struct {
	Queue    string `json:"queue,omitempty"`
	TaskID   string `json:"taskId,omitempty"`
	TaskName string `json:"taskName,omitempty"`
	NodeID   string `json:"nodeId,omitempty"`
}

type v1Form struct {
	To   string         `json:"to"`
	From string         `json:"from"`
	Form map[string]any `json:"form"`
}

// BuildItems turns a reply into its POSTs, in delivery order: the messages,
// the form, the agent transfer, then the status message. Templates are sent as JSON objects in
// "text" (contract §11.7, objects by default).
func BuildItems(r *eventsv1.Reply, partsHeader string) ([]Item, error) {
	p := parseParts(partsHeader)
	var items []Item
	if p.messages {
		for i, m := range r.GetMessages() {
			id := m.GetMessageId()
			if id == "" {
				id = DerivedID(r.GetTurnId(), fmt.Sprintf("message/%d", i))
			}
			var text any
			switch b := m.GetBody().(type) {
			case *eventsv1.BotMessage_Text:
				text = b.Text
			case *eventsv1.BotMessage_Template:
				text = b.Template.AsMap()
			default:
				text = ""
			}
			body, err := json.Marshal(v1Message{To: r.GetFromId(), From: r.GetBotId(), Text: text})
			if err != nil {
				return nil, fmt.Errorf("encode message %d of turn %s: %w", i, r.GetTurnId(), err)
			}
			items = append(items, Item{ID: id, Kind: dispatcherv1.ItemKind_ITEM_KIND_MESSAGE, Index: i, Body: body})
		}
	}
	if p.form && r.GetForm() != nil {
		f := map[string]any{}
		if d := r.GetForm().GetFormDef(); d != nil {
			f["formDef"] = d.AsMap()
		}
		if in := r.GetForm().GetFormInitialization(); in != nil {
			f["formInitialization"] = in.AsMap()
		}
		body, err := json.Marshal(v1Form{To: r.GetFromId(), From: r.GetBotId(), Form: f})
		if err != nil {
			return nil, fmt.Errorf("encode form of turn %s: %w", r.GetTurnId(), err)
		}
		items = append(items, Item{ID: DerivedID(r.GetTurnId(), "form"), Kind: dispatcherv1.ItemKind_ITEM_KIND_FORM, Index: -1, Body: body})
	}
	if h := r.GetAgentHandoff(); p.handoff && h != nil {
		body, err := json.Marshal(v1Handoff{To: r.GetFromId(), From: r.GetBotId(), AgentTransfer: handoffBody{
			Queue: h.GetQueue(), TaskID: h.GetTaskId(), TaskName: h.GetTaskName(), NodeID: h.GetNodeId(),
		}})
		if err != nil {
			return nil, fmt.Errorf("encode agent transfer of turn %s: %w", r.GetTurnId(), err)
		}
		items = append(items, Item{ID: DerivedID(r.GetTurnId(), PartHandoff), Kind: dispatcherv1.ItemKind_ITEM_KIND_AGENT_TRANSFER, Index: -1, Body: body})
	}
	if p.status {
		body, err := json.Marshal(v1Status{
			To: r.GetFromId(), From: r.GetBotId(), EndOfTask: r.GetEndOfTask(),
			EndReason: r.GetEndReason(), CompletedTaskID: r.GetCompletedTaskId(), CompletedTaskName: r.GetCompletedTaskName(),
		})
		if err != nil {
			return nil, fmt.Errorf("encode status of turn %s: %w", r.GetTurnId(), err)
		}
		items = append(items, Item{ID: DerivedID(r.GetTurnId(), "status"), Kind: dispatcherv1.ItemKind_ITEM_KIND_STATUS, Index: -1, Body: body})
	}
	return items, nil
}
