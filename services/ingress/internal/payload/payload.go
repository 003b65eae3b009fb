// Package payload decodes and validates the JSON body of a webhook request
// into a turn, following the contract's decisions on every ambiguity: meta
// tags flat or nested (nested wins), mergeIdentity as a boolean or a
// "true"/"false" string, both form submission shapes, and the typed V2
// message form on either version.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	eventsv1 "github.com/parleyhq/parley/proto/gen/go/parley/events/v1"
)

// Error says what is wrong with a payload; Msg is shown to the client.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &Error{Msg: "Invalid Request Payload: " + fmt.Sprintf(format, args...)}
}

// MaxFromIDChars is the longest from.id, in characters (contract §3.1: a
// string; the user id is built from it and stored with every turn).
const MaxFromIDChars = 256

// Limits bound what a payload may hold.
type Limits struct {
	// MaxTextChars is the longest message text, in characters.
	MaxTextChars int
}

type tag struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

type metaTags struct {
	UserLevelTags    []tag `json:"userLevelTags"`
	SessionLevelTags []tag `json:"sessionLevelTags"`
	MessageLevelTags []tag `json:"messageLevelTags"`
}

type attachment struct {
	URL      string `json:"url"`
	FileID   string `json:"fileId"`
	FileType string `json:"fileType"`
	FileName string `json:"fileName"`
}

type formData struct {
	FormID string `json:"formId"`
	Data   []struct {
		ComponentID string          `json:"componentId"`
		Input       json.RawMessage `json:"input"`
	} `json:"data"`
	Meta map[string]any `json:"meta"`
}

type body struct {
	Session *struct {
		New json.RawMessage `json:"new"`
	} `json:"session"`
	Message *struct {
		Text        *string         `json:"text"`
		Type        string          `json:"type"`
		Val         json.RawMessage `json:"val"`
		Attachments []attachment    `json:"attachments"`
		FormData    *formData       `json:"formData"`
	} `json:"message"`
	From *struct {
		ID       json.RawMessage `json:"id"`
		UserInfo map[string]any  `json:"userInfo"`
	} `json:"from"`
	To *struct {
		ID string `json:"id"`
	} `json:"to"`
	MetaTags                    *metaTags       `json:"metaTags"`
	UserLevelTags               []tag           `json:"userLevelTags"`
	SessionLevelTags            []tag           `json:"sessionLevelTags"`
	MessageLevelTags            []tag           `json:"messageLevelTags"`
	MergeIdentity               json.RawMessage `json:"mergeIdentity"`
	PreferredChannelForResponse string          `json:"preferredChannelForResponse"`
	CustomData                  map[string]any  `json:"customData"`
}

// Decode parses raw into the content fields of a turn (text, attachments,
// form data, tags, custom data, user info, session.new, ...). Identity and
// routing fields are the caller's to fill.
func Decode(raw []byte, lim Limits) (*eventsv1.Turn, error) {
	var b body
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&b); err != nil {
		return nil, invalid("%s", jsonReason(err))
	}
	if dec.More() {
		return nil, invalid("the body holds more than one JSON value")
	}
	turn := &eventsv1.Turn{RawPayload: raw}

	if b.From == nil || len(b.From.ID) == 0 || string(b.From.ID) == "null" {
		return nil, invalid("from.id is required")
	}
	fromID, err := decodeFromID(b.From.ID)
	if err != nil {
		return nil, err
	}
	turn.FromId = fromID
	if b.From.UserInfo != nil {
		if turn.UserInfo, err = structpb.NewStruct(b.From.UserInfo); err != nil {
			return nil, invalid("from.userInfo: %v", err)
		}
	}
	if b.To != nil {
		turn.ToId = b.To.ID
	}

	if b.Message == nil {
		return nil, invalid("message is required")
	}
	if err := decodeMessage(turn, b, lim); err != nil {
		return nil, err
	}

	if b.Session != nil && len(b.Session.New) > 0 {
		if turn.SessionNew, err = flexibleBool(b.Session.New); err != nil {
			return nil, invalid("session.new must be true or false")
		}
	}
	if len(b.MergeIdentity) > 0 {
		if turn.MergeIdentity, err = flexibleBool(b.MergeIdentity); err != nil {
			return nil, invalid(`mergeIdentity must be true, false, "true" or "false"`)
		}
	}
	turn.PreferredChannelForResponse = b.PreferredChannelForResponse
	if b.CustomData != nil {
		if turn.CustomData, err = structpb.NewStruct(b.CustomData); err != nil {
			return nil, invalid("customData: %v", err)
		}
	}
	tags := metaTags{UserLevelTags: b.UserLevelTags, SessionLevelTags: b.SessionLevelTags, MessageLevelTags: b.MessageLevelTags}
	if b.MetaTags != nil {
		tags = *b.MetaTags
	}
	if turn.MetaTags, err = convertTags(tags); err != nil {
		return nil, err
	}
	return turn, nil
}

func decodeMessage(turn *eventsv1.Turn, b body, lim Limits) error {
	m := b.Message
	form := m.FormData
	switch m.Type {
	case "":
		if m.Text != nil {
			turn.Text = *m.Text
		}
	case "text":
		if err := json.Unmarshal(m.Val, &turn.Text); err != nil {
			return invalid("message.val must be a string when message.type is text")
		}
	case "formData":
		form = &formData{}
		if err := json.Unmarshal(m.Val, form); err != nil {
			return invalid("message.val must be a form submission object when message.type is formData")
		}
	case "event":
		var ev string
		if err := json.Unmarshal(m.Val, &ev); err != nil || (ev != "ON_CONNECT" && ev != "SESSION_CLOSURE") {
			return invalid("message.val must be ON_CONNECT or SESSION_CLOSURE when message.type is event")
		}
		if len(m.Attachments) > 0 {
			return invalid("an event has no attachments")
		}
		turn.Event = ev
		return nil
	default:
		return invalid("message.type %q is not supported (use text, formData or event)", m.Type)
	}
	if n := utf8.RuneCountInString(turn.Text); n > lim.MaxTextChars {
		return invalid("message.text has %d characters; the limit is %d", n, lim.MaxTextChars)
	}
	for i, a := range m.Attachments {
		if a.URL == "" && a.FileID == "" {
			return invalid("message.attachments[%d] needs a url or a fileId", i)
		}
		turn.Attachments = append(turn.Attachments, &eventsv1.Attachment{Url: a.URL, FileId: a.FileID, FileType: a.FileType, FileName: a.FileName})
	}
	if form != nil {
		fd, err := convertForm(form)
		if err != nil {
			return err
		}
		turn.FormData = fd
	}
	if turn.Text == "" && len(turn.Attachments) == 0 && turn.FormData == nil {
		return invalid("the message is empty: send message.text, message.attachments or message.formData")
	}
	return nil
}

func convertForm(f *formData) (*eventsv1.FormData, error) {
	if f.FormID == "" {
		return nil, invalid("message.formData.formId is required")
	}
	out := &eventsv1.FormData{FormId: f.FormID}
	for i, d := range f.Data {
		if d.ComponentID == "" {
			return nil, invalid("message.formData.data[%d].componentId is required", i)
		}
		v, err := jsonValue(d.Input)
		if err != nil {
			return nil, invalid("message.formData.data[%d].input: %v", i, err)
		}
		out.Data = append(out.Data, &eventsv1.FormInput{ComponentId: d.ComponentID, Input: v})
	}
	if f.Meta != nil {
		meta, err := structpb.NewStruct(f.Meta)
		if err != nil {
			return nil, invalid("message.formData.meta: %v", err)
		}
		out.Meta = meta
	}
	return out, nil
}

func convertTags(t metaTags) (*eventsv1.MetaTags, error) {
	if len(t.UserLevelTags)+len(t.SessionLevelTags)+len(t.MessageLevelTags) == 0 {
		return nil, nil
	}
	conv := func(level string, in []tag) ([]*eventsv1.Tag, error) {
		out := make([]*eventsv1.Tag, 0, len(in))
		for i, tg := range in {
			if tg.Name == "" {
				return nil, invalid("metaTags.%s[%d].name is required", level, i)
			}
			v, err := jsonValue(tg.Value)
			if err != nil {
				return nil, invalid("metaTags.%s[%d].value: %v", level, i, err)
			}
			out = append(out, &eventsv1.Tag{Name: tg.Name, Value: v})
		}
		return out, nil
	}
	var mt eventsv1.MetaTags
	var err error
	if mt.UserLevel, err = conv("userLevelTags", t.UserLevelTags); err != nil {
		return nil, err
	}
	if mt.SessionLevel, err = conv("sessionLevelTags", t.SessionLevelTags); err != nil {
		return nil, err
	}
	if mt.MessageLevel, err = conv("messageLevelTags", t.MessageLevelTags); err != nil {
		return nil, err
	}
	return &mt, nil
}

func jsonValue(raw json.RawMessage) (*structpb.Value, error) {
	if len(raw) == 0 {
		return structpb.NewNullValue(), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return structpb.NewValue(v)
}

// decodeFromID reads from.id: a non-empty JSON string of at most
// MaxFromIDChars characters (a number is refused, as the contract types it).
func decodeFromID(raw json.RawMessage) (string, error) {
	var id string
	if err := json.Unmarshal(raw, &id); err != nil || id == "" {
		return "", invalid("from.id must be a non-empty string")
	}
	if n := utf8.RuneCountInString(id); n > MaxFromIDChars {
		return "", invalid("from.id has %d characters; the limit is %d", n, MaxFromIDChars)
	}
	return id, nil
}

func flexibleBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && (s == "true" || s == "false") {
		return s == "true", nil
	}
	return false, errors.New("not a boolean")
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("the body is not valid JSON (at byte %d: %v)", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return "the body is not valid JSON: " + err.Error()
}
