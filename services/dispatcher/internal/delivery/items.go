package delivery

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/platform/korewire"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// Part names for bus.HeaderDeliverParts.
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
// the form, the agent transfer, then the status message, in the shape of
// the webhook version the turn came in on (V1 unless the reply says "v2").
// Templates are sent as JSON objects (contract §11.7, objects by default).
func BuildItems(r *eventsv1.Reply, partsHeader string) ([]Item, error) {
	p := parseParts(partsHeader)
	b := &itemBuilder{r: r, sh: shapeV1}
	if r.GetApiVersion() == "v2" {
		b.sh = shapeV2
	}
	if c := r.GetSessionClosure(); c != "" && b.sh.closure != nil {
		// A SESSION_CLOSURE is answered by its event alone (contract §4.4).
		if err := b.add(DerivedID(r.GetTurnId(), "closure"), dispatcherv1.ItemKind_ITEM_KIND_MESSAGE, 0, "session closure", b.sh.closure(c)); err != nil {
			return nil, err
		}
		return b.items, nil
	}
	if p.messages {
		if err := b.addMessages(); err != nil {
			return nil, err
		}
	}
	if p.form && r.GetForm() != nil {
		if err := b.add(DerivedID(r.GetTurnId(), "form"), dispatcherv1.ItemKind_ITEM_KIND_FORM, -1, "form", b.sh.form(r, formBody(r.GetForm()))); err != nil {
			return nil, err
		}
	}
	if h := r.GetAgentHandoff(); p.handoff && h != nil {
		hb := handoffBody{Queue: h.GetQueue(), TaskID: h.GetTaskId(), TaskName: h.GetTaskName(), NodeID: h.GetNodeId()}
		if err := b.add(DerivedID(r.GetTurnId(), PartHandoff), dispatcherv1.ItemKind_ITEM_KIND_AGENT_TRANSFER, -1, "agent transfer", b.sh.handoff(r, hb)); err != nil {
			return nil, err
		}
	}
	if p.status {
		if err := b.add(DerivedID(r.GetTurnId(), "status"), dispatcherv1.ItemKind_ITEM_KIND_STATUS, -1, "status", b.sh.status(r)); err != nil {
			return nil, err
		}
	}
	return b.items, nil
}

// itemBuilder collects the items of one reply, written in one shape.
type itemBuilder struct {
	r     *eventsv1.Reply
	sh    shape
	items []Item
}

// add encodes v as the body of the next item; what names it in an error.
func (b *itemBuilder) add(id string, kind dispatcherv1.ItemKind, index int, what string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s of turn %s: %w", what, b.r.GetTurnId(), err)
	}
	b.items = append(b.items, Item{ID: id, Kind: kind, Index: index, Body: body})
	return nil
}

// addMessages adds one item per bot message, identified by the message's
// id or, without one, an id derived from the turn and its index.
func (b *itemBuilder) addMessages() error {
	for i, m := range b.r.GetMessages() {
		id := m.GetMessageId()
		if id == "" {
			id = DerivedID(b.r.GetTurnId(), fmt.Sprintf("message/%d", i))
		}
		if err := b.add(id, dispatcherv1.ItemKind_ITEM_KIND_MESSAGE, i, fmt.Sprintf("message %d", i), b.sh.message(b.r, m, id)); err != nil {
			return err
		}
	}
	return nil
}

// formBody is the "form" object of a form item: its definition and its
// initial values, each when given.
func formBody(fm *eventsv1.Form) map[string]any {
	f := map[string]any{}
	if d := fm.GetFormDef(); d != nil {
		f["formDef"] = d.AsMap()
	}
	if in := fm.GetFormInitialization(); in != nil {
		f["formInitialization"] = in.AsMap()
	}
	return f
}

// shape is how one webhook version writes each kind of POST.
type shape struct {
	closure func(outcome string) any // nil: the version has no events
	message func(r *eventsv1.Reply, m *eventsv1.BotMessage, id string) any
	form    func(r *eventsv1.Reply, f map[string]any) any
	handoff func(r *eventsv1.Reply, h handoffBody) any
	status  func(r *eventsv1.Reply) any
}

func messageVal(m *eventsv1.BotMessage) any {
	switch b := m.GetBody().(type) {
	case *eventsv1.BotMessage_Text:
		return b.Text
	case *eventsv1.BotMessage_Template:
		return b.Template.AsMap()
	}
	return ""
}

var shapeV1 = shape{
	message: func(r *eventsv1.Reply, m *eventsv1.BotMessage, _ string) any {
		return v1Message{To: r.GetFromId(), From: r.GetBotId(), Text: messageVal(m)}
	},
	form: func(r *eventsv1.Reply, f map[string]any) any {
		return v1Form{To: r.GetFromId(), From: r.GetBotId(), Form: f}
	},
	handoff: func(r *eventsv1.Reply, h handoffBody) any {
		return v1Handoff{To: r.GetFromId(), From: r.GetBotId(), AgentTransfer: h}
	},
	status: func(r *eventsv1.Reply) any {
		return v1Status{
			To: r.GetFromId(), From: r.GetBotId(), EndOfTask: r.GetEndOfTask(),
			EndReason: r.GetEndReason(), CompletedTaskID: r.GetCompletedTaskId(), CompletedTaskName: r.GetCompletedTaskName(),
		}
	},
}

// V2 asynchronous bodies (contract §5, §11.3, §11.5, §11.8): one data item
// per POST, whose messageId is the webhook-id; the form, the agent
// transfer and the status beside an empty data.
type v2Body struct {
	Data              []korewire.V2Item `json:"data"`
	V                 string            `json:"_v"`
	Form              any               `json:"form,omitempty"`
	AgentTransfer     *handoffBody      `json:"agentTransfer,omitempty"`
	EndOfTask         *bool             `json:"endOfTask,omitempty"`
	EndReason         string            `json:"endReason,omitempty"`
	CompletedTaskID   string            `json:"completedTaskId,omitempty"`
	CompletedTaskName string            `json:"completedTaskName,omitempty"`
}

var shapeV2 = shape{
	closure: func(outcome string) any {
		return map[string]any{"data": []any{map[string]any{
			"type": "event", "val": "SESSION_CLOSURE", "eventType": outcome, "description": korewire.SessionClosureDescription(outcome),
		}}, "_v": "v2"}
	},
	message: func(r *eventsv1.Reply, m *eventsv1.BotMessage, id string) any {
		typ := "text"
		if _, ok := m.GetBody().(*eventsv1.BotMessage_Template); ok {
			typ = "template"
		}
		return v2Body{Data: []korewire.V2Item{{Type: typ, Val: messageVal(m), CreatedOn: korewire.CreatedOn(r.GetProducedAt().AsTime()), MessageID: id}}, V: "v2"}
	},
	form: func(_ *eventsv1.Reply, f map[string]any) any {
		return v2Body{Data: []korewire.V2Item{}, V: "v2", Form: f}
	},
	handoff: func(_ *eventsv1.Reply, h handoffBody) any {
		return v2Body{Data: []korewire.V2Item{}, V: "v2", AgentTransfer: &h}
	},
	status: func(r *eventsv1.Reply) any {
		end := r.GetEndOfTask()
		return v2Body{Data: []korewire.V2Item{}, V: "v2", EndOfTask: &end, EndReason: r.GetEndReason(),
			CompletedTaskID: r.GetCompletedTaskId(), CompletedTaskName: r.GetCompletedTaskName()}
	},
}
