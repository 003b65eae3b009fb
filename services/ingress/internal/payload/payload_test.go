package payload

import (
	"errors"
	"strings"
	"testing"
)

var lim = Limits{MaxTextChars: 3000}

func TestDecodeAccepts(t *testing.T) {
	turn, err := Decode([]byte(`{"message":{"text":"hi"},"from":{"id":"1323465","userInfo":{"firstName":"Ann"}},
		"metaTags":{"userLevelTags":[{"name":"userTag","value":"userTag_value"}],
		"sessionLevelTags":[{"name":"sessionTag","value":"sessionTag_value"}],
		"messageLevelTags":[{"name":"messageTag","value":"messageTag_value"}]},
		"userLevelTags":[{"name":"flat","value":"ignored because nested wins"}],
		"mergeIdentity":true,"preferredChannelForResponse":"rtm","session":{"new":true},
		"customData":{"name":"John","age":30,"cars":["Ford"]}}`), lim)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case turn.Text != "hi", turn.FromId != "1323465", !turn.MergeIdentity, !turn.SessionNew:
		t.Fatalf("turn = %v", turn)
	case turn.PreferredChannelForResponse != "rtm":
		t.Fatal("preferredChannelForResponse lost")
	case turn.UserInfo.Fields["firstName"].GetStringValue() != "Ann":
		t.Fatal("userInfo lost")
	case turn.CustomData.Fields["age"].GetNumberValue() != 30:
		t.Fatal("customData lost")
	case len(turn.MetaTags.UserLevel) != 1 || turn.MetaTags.UserLevel[0].Name != "userTag":
		t.Fatalf("nested tags should win: %v", turn.MetaTags.UserLevel)
	case turn.MetaTags.MessageLevel[0].Value.GetStringValue() != "messageTag_value":
		t.Fatal("message tag lost")
	case len(turn.RawPayload) == 0:
		t.Fatal("raw payload not kept")
	}
}

func TestDecodeShapes(t *testing.T) {
	flat, err := Decode([]byte(`{"message":{"text":"x"},"from":{"id":"u"},"sessionLevelTags":[{"name":"s","value":1}],"mergeIdentity":"false"}`), lim)
	if err != nil || flat.MetaTags.SessionLevel[0].Value.GetNumberValue() != 1 || flat.MergeIdentity {
		t.Fatalf("flat tags / string mergeIdentity: %v %v", flat, err)
	}
	longest := strings.Repeat("é", MaxFromIDChars)
	long, err := Decode([]byte(`{"message":{"text":"x"},"from":{"id":"`+longest+`"}}`), lim)
	if err != nil || long.FromId != longest {
		t.Fatalf("from.id of %d two-byte characters must pass: %v", MaxFromIDChars, err)
	}
	typed, err := Decode([]byte(`{"message":{"type":"text","val":"hello"},"from":{"id":"u"}}`), lim)
	if err != nil || typed.Text != "hello" {
		t.Fatalf("typed text: %v %v", typed, err)
	}
	older, err := Decode([]byte(`{"message":{"formData":{"formId":"frm-1","data":[{"componentId":"fct-1","input":"a"}],"meta":{}}},"from":{"id":"u"}}`), lim)
	if err != nil || older.FormData.FormId != "frm-1" || older.FormData.Data[0].Input.GetStringValue() != "a" {
		t.Fatalf("formData: %v %v", older, err)
	}
	newer, err := Decode([]byte(`{"message":{"type":"formData","val":{"formId":"frm-2","data":[{"componentId":"fct-1","input":3}]}},"from":{"id":"u"}}`), lim)
	if err != nil || newer.FormData.FormId != "frm-2" || newer.FormData.Data[0].Input.GetNumberValue() != 3 {
		t.Fatalf("typed formData: %v %v", newer, err)
	}
	for _, ev := range []string{"ON_CONNECT", "SESSION_CLOSURE"} {
		e, err := Decode([]byte(`{"session":{"new":true},"message":{"type":"event","val":"`+ev+`"},"from":{"id":"u"}}`), lim)
		if err != nil || e.Event != ev || e.Text != "" {
			t.Fatalf("event %s: %v %v", ev, e, err)
		}
	}
	att, err := Decode([]byte(`{"message":{"attachments":[{"url":"https://x/y.png"},{"fileId":"f1","fileType":"image","fileName":"a.png"}]},"from":{"id":"u"}}`), lim)
	if err != nil || len(att.Attachments) != 2 || att.Attachments[1].FileId != "f1" {
		t.Fatalf("attachments only: %v %v", att, err)
	}
	longText, err := Decode([]byte(`{"message":{"text":"`+strings.Repeat("é", 3000)+`"},"from":{"id":"u"}}`), lim)
	if err != nil || longText.Text == "" {
		t.Fatalf("3000 two-byte characters must pass: %v", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty body", ``, "empty"},
		{"not json", `{"message":`, "not valid JSON"},
		{"two values", `{} {}`, "more than one"},
		{"array", `[1]`, "must be"},
		{"no from", `{"message":{"text":"hi"}}`, "from.id is required"},
		{"null from.id", `{"message":{"text":"hi"},"from":{"id":null}}`, "from.id is required"},
		{"empty from.id", `{"message":{"text":"hi"},"from":{"id":""}}`, "from.id must be"},
		{"object from.id", `{"message":{"text":"hi"},"from":{"id":{}}}`, "from.id must be"},
		// Contract §3.1: from.id is a string.
		{"numeric from.id", `{"message":{"text":"hi"},"from":{"id":12345}}`, "from.id must be a non-empty string"},
		{"boolean from.id", `{"message":{"text":"hi"},"from":{"id":true}}`, "from.id must be a non-empty string"},
		{"from.id over 256", `{"message":{"text":"hi"},"from":{"id":"` + strings.Repeat("u", MaxFromIDChars+1) + `"}}`, "from.id has 257 characters"},
		{"no message", `{"from":{"id":"u"}}`, "message is required"},
		{"empty message", `{"message":{"text":""},"from":{"id":"u"}}`, "message is empty"},
		{"too long", `{"message":{"text":"` + strings.Repeat("a", 3001) + `"},"from":{"id":"u"}}`, "3001 characters"},
		{"bad mergeIdentity", `{"message":{"text":"x"},"from":{"id":"u"},"mergeIdentity":"yes"}`, "mergeIdentity"},
		{"bad session.new", `{"message":{"text":"x"},"from":{"id":"u"},"session":{"new":"maybe"}}`, "session.new"},
		{"text not a string", `{"message":{"text":5},"from":{"id":"u"}}`, "message.text"},
		{"attachment without url", `{"message":{"attachments":[{}]},"from":{"id":"u"}}`, "attachments[0]"},
		{"form without id", `{"message":{"formData":{"data":[]}},"from":{"id":"u"}}`, "formId"},
		{"unknown type", `{"message":{"type":"audio","val":"x"},"from":{"id":"u"}}`, "message.type"},
		{"unknown event", `{"message":{"type":"event","val":"ON_DISCONNECT"},"from":{"id":"u"}}`, "ON_CONNECT or SESSION_CLOSURE"},
		{"tag without name", `{"message":{"text":"x"},"from":{"id":"u"},"metaTags":{"userLevelTags":[{"value":1}]}}`, "userLevelTags[0].name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.body), lim)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a payload error", err)
			}
			if !strings.HasPrefix(pe.Msg, "Invalid Request Payload: ") || !strings.Contains(pe.Msg, tc.want) {
				t.Fatalf("message %q should start with Kore's text and mention %q", pe.Msg, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"message":{"text":"hi"},"from":{"id":"1"}}`,
		`{"message":{"type":"formData","val":{"formId":"f","data":[{"componentId":"c","input":1}]}},"from":{"id":2}}`,
		`{"message":{"attachments":[{"url":"u"}]},"from":{"id":"x"},"metaTags":{"userLevelTags":[{"name":"a","value":{}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		turn, err := Decode(raw, lim)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("non-payload error %v", err)
			}
			return
		}
		if turn.FromId == "" {
			t.Fatal("accepted a turn without from.id")
		}
		if turn.Text == "" && len(turn.Attachments) == 0 && turn.FormData == nil {
			t.Fatal("accepted an empty message")
		}
	})
}
