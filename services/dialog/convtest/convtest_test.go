package convtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHTTPDriverAndChecks(t *testing.T) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/chatbot/hooks/st-x/hookInstance/i1" || r.Header.Get("Authorization") != "bearer tok-u1" {
			http.Error(w, `{"errors":[{"msg":"Invalid Access token","code":401}]}`, http.StatusUnauthorized)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		got = append(got, body)
		msg := body["message"].(map[string]any)
		switch {
		case msg["formData"] != nil:
			_, _ = w.Write([]byte(`{"text":"Form done","endOfTask":true,"endReason":"Fulfilled","completedTaskName":"open account"}`))
		case msg["text"] == "hi":
			_, _ = w.Write([]byte(`{"text":["Hello!","{&quot;type&quot;:&quot;template&quot;,&quot;payload&quot;:{&quot;template_type&quot;:&quot;button&quot;}}"]}`))
		default:
			_, _ = w.Write([]byte(`{"text":["Which account?"],"endOfTask":false}`))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pass := write("pass.yaml", `name: passes
user: u1
turns:
  - user: hi
    bot:
      - Hello!
      - template: {payload: {template_type: button}}
  - user: balance
    bot: {pattern: "Which \\w+\\?"}
    end_of_task: false
    context: {ignored: over-http}
  - form: {formId: frm-1, data: [{componentId: fct-a, input: x}]}
    bot: {contains: done}
    end_reason: Fulfilled
    completed_task_name: open account
`)
	fail := write("fail.yaml", `name: fails
user: u1
turns:
  - user: balance
    bot: "Which account? Please."
`)
	var out strings.Builder
	passed, failed, err := Run(t.Context(), srv.URL, func(u string) string { return "tok-" + u }, "st-x", "i1", []string{pass, fail}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 1 || failed != 1 || !strings.Contains(out.String(), `want ["Which account? Please."]`) {
		t.Fatalf("passed %d failed %d:\n%s", passed, failed, out.String())
	}
	if got[0]["session"].(map[string]any)["new"] != true || got[1]["session"].(map[string]any)["new"] != false {
		t.Fatalf("first turn must start a new session, later ones not: %v", got)
	}
	if fd := got[2]["message"].(map[string]any)["formData"].(map[string]any); fd["formId"] != "frm-1" {
		t.Fatalf("form data = %v", fd)
	}
}

func TestCheck(t *testing.T) {
	yes, reason := true, "Canceled"
	text := "a"
	for _, tc := range []struct {
		name string
		turn Turn
		r    Reply
		bad  bool
	}{
		{"exact", Turn{Bot: &Expect{[]Matcher{{Text: &text}}}}, Reply{Messages: []any{"a"}}, false},
		{"extra message", Turn{Bot: &Expect{[]Matcher{{Text: &text}}}}, Reply{Messages: []any{"a", "b"}}, true},
		{"no messages expected", Turn{Bot: &Expect{}}, Reply{Messages: []any{"a"}}, true},
		{"end of task", Turn{EndOfTask: &yes}, Reply{}, true},
		{"end reason", Turn{EndReason: &reason}, Reply{EndReason: "Fulfilled"}, true},
		{"context", Turn{Context: map[string]any{"a.b": 1}}, Reply{Context: map[string]any{"a": map[string]any{"b": 1.0}}}, false},
		{"context mismatch", Turn{Context: map[string]any{"a.b": 2}}, Reply{Context: map[string]any{"a": map[string]any{"b": 1.0}}}, true},
		{"context absent", Turn{Context: map[string]any{"a": nil}}, Reply{Context: map[string]any{"a": 1.0}}, true},
	} {
		if got := Check(tc.turn, tc.r); (got != "") != tc.bad {
			t.Errorf("%s: problems %q, want bad=%v", tc.name, got, tc.bad)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty.yaml":   "name: x\nturns: []\n",
		"both.yaml":    "turns:\n  - {user: hi, form: {formId: f, data: []}}\n",
		"unknown.yaml": "turns:\n  - {user: hi, bott: x}\n",
		"badre.yaml":   "turns:\n  - {user: hi, bot: {pattern: \"(\"}}\n",
	} {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o644)
		if _, err := Load([]string{p}); err == nil {
			t.Errorf("%s loaded", name)
		}
	}
}
