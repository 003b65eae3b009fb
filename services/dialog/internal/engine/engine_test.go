package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

const botYAML = `format: parley.bot/v1
id: st-00000000-0000-5000-8000-000000000001
name: Test
entities:
  color: {type: list, values: [{value: red}, {value: blue}], prompt: "Which color?", error_prompt: "Red or blue?"}
  n: {type: number, prompt: "A number?"}
  note: {type: string, prompt: "Any note?"}
intents:
  - {name: paint, task: paint, utterances: [paint, paint the wall]}
  - {name: count, task: count, utterances: [count, count things]}
  - {name: loop, task: loop, utterances: [loop forever]}
  - {name: other, task: other, utterances: [other thing]}
  - {name: add note, utterances: [add a note]}
`

// bot writes a bot directory from bot.yaml extras and task files.
func bot(t testing.TB, extra string, tasks map[string]string) *engine.Bot {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "tasks"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte(botYAML+extra), 0o644))
	base := map[string]string{
		"paint": `id: dg-paint
name: paint
nodes:
  - {id: i, type: intent, intent: paint, next: color}
  - {id: color, type: entity, entity: color, retries: 2, next: done}
  - id: sub
    type: intent
    intent: add note
    next: note
  - {id: note, type: entity, entity: note, next: noted}
  - {id: noted, type: message, messages: ["Noted {{entities.note}}"], next: color}
  - {id: done, type: message, messages: ["Painted {{entities.color}}"]}
`,
		"count": `id: dg-count
name: count
nodes:
  - {id: n, type: entity, entity: n, next: x}
  - {id: x, type: logic, ops: [{set: context.session.BotContext.total, value: "{{entities.n}}"}, {set: context.seen, value: true}, {copy: entities.n, to: context.session.BotUserSession.last}], next: check}
  - id: check
    type: message
    messages: ["total {{context.session.BotContext.total}} last {{context.session.BotUserSession.last}}"]
    transitions:
      - if: [{entity: n, op: ">", value: 10}]
        to: big
      - if: [{context: seen, op: exists}, {entity: n, op: "<", value: 0}]
        join: and
        to: negative
      - else: end
  - {id: big, type: message, messages: [big]}
  - {id: negative, type: message, messages: [negative]}
`,
		"loop": `id: dg-loop
name: loop
nodes:
  - {id: a, type: logic, ops: [{set: context.x, value: 1}], next: b}
  - {id: b, type: logic, ops: [{delete: context.x}], next: a}
`,
		"other": `id: dg-other
name: other
nodes:
  - {id: m, type: message, messages: ["other done"]}
`,
	}
	for k, v := range tasks {
		base[k] = v
	}
	for name, body := range base {
		must(t, os.WriteFile(filepath.Join(dir, "tasks", name+".yaml"), []byte(body), 0o644))
	}
	def, err := engine.Load(dir)
	must(t, err)
	b, err := engine.Compile(def, engine.Options{})
	must(t, err)
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type convo struct {
	t     *testing.T
	b     *engine.Bot
	st    engine.State
	ctx   map[string]any
	in    engine.Input
	scope mapScopes
}

type mapScopes map[string]any

func (m mapScopes) Get(_ context.Context, k engine.ScopeKind, key string) (any, bool, error) {
	v, ok := m[string(k)+"."+key]
	return v, ok, nil
}

func newConvo(t *testing.T, b *engine.Bot) *convo {
	return &convo{t: t, b: b, ctx: map[string]any{}, scope: mapScopes{}}
}

func (c *convo) say(text string) engine.Output {
	in := c.in
	in.Text, in.Context, in.State, in.Scopes = text, c.ctx, &c.st, c.scope
	out := c.b.Run(c.t.Context(), in)
	for _, op := range out.ScopeOps {
		if op.Delete {
			delete(c.scope, string(op.Kind)+"."+op.Key)
		} else {
			c.scope[string(op.Kind)+"."+op.Key] = op.Value
		}
	}
	return out
}

func texts(o engine.Output) string {
	var s []string
	for _, m := range o.Messages {
		if m.Template != nil {
			s = append(s, "<template>")
		} else {
			s = append(s, m.Text)
		}
	}
	return strings.Join(s, " | ")
}

type step struct {
	say, want string
	end       bool
	reason    string
}

func play(t *testing.T, c *convo, steps []step) {
	t.Helper()
	for i, s := range steps {
		out := c.say(s.say)
		if got := texts(out); got != s.want {
			t.Fatalf("step %d %q: said %q, want %q", i, s.say, got, s.want)
		}
		if out.EndOfTask != s.end {
			t.Fatalf("step %d %q: endOfTask %v, want %v", i, s.say, out.EndOfTask, s.end)
		}
		if s.reason != "" && (out.LastEnded == nil || out.LastEnded.Reason != s.reason) {
			t.Fatalf("step %d %q: last ended %+v, want reason %s", i, s.say, out.LastEnded, s.reason)
		}
	}
}

func TestDialogs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string
		steps []step
	}{
		{"entity then message", "", []step{
			{"paint", "Which color?", false, ""},
			{"blue", "Painted blue", true, engine.EndFulfilled},
		}},
		{"entity from the first utterance", "", []step{{"paint the wall red", "Painted red", true, engine.EndFulfilled}}},
		{"retries exceeded ends the task as failed", "", []step{
			{"paint", "Which color?", false, ""},
			{"green", "Red or blue?", false, ""},
			{"green", "Sorry, I could not understand your answer. Let us start again.", true, engine.EndFailed},
		}},
		{"sub-intent inside the task, then back", "", []step{
			{"paint", "Which color?", false, ""},
			{"add a note", "Any note?", false, ""},
			{"matte finish", "Noted matte finish | Which color?", false, ""},
			{"red", "Painted red", true, engine.EndFulfilled},
		}},
		{"hold and resume", "", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "other done | Now, let's continue with paint. | Which color?", true, engine.EndFulfilled},
			{"red", "Painted red", true, ""},
		}},
		{"discard on interruption", "interruptions: {behavior: discard}\n", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "other done", true, engine.EndFulfilled},
			{"red", "Sorry, I did not understand that.", false, ""},
		}},
		{"interruptions not allowed", "interruptions: {behavior: disallow}\n", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "Let's finish paint first. | Which color?", false, ""},
		}},
		{"silent resume", "interruptions: {resume: silent}\n", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "other done | Which color?", true, ""},
		}},
		{"hop limit stops a loop with a clear error", "", []step{
			{"loop forever", "Sorry something went wrong and I cannot complete your request now", true, engine.EndFailed},
			{"loop forever", "Sorry something went wrong and I cannot complete your request now", true, engine.EndFailed},
		}},
		{"small talk while a task waits", "", []step{
			{"paint", "Which color?", false, ""},
			{"thanks", "You're welcome! | Which color?", false, ""},
		}},
		{"small talk can be turned off", "small_talk: false\n", []step{{"hello", "Sorry, I did not understand that.", false, ""}}},
		{"bot cancel words", "cancel_words: [nah forget it]\n", []step{
			{"paint", "Which color?", false, ""},
			{"Nah, forget it!", "OK, I have discarded the task.", true, engine.EndCanceled},
		}},
		{"default task", "default_task: other\n", []step{{"gibberish words", "other done", true, engine.EndFulfilled}}},
		{"spanish: small talk, cancel and standard responses", "language: es\n", []step{
			{"¡Hola!", "¡Hola! ¿En qué puedo ayudarle?", false, ""},
			{"paint", "Which color?", false, ""},
			{"stop", "Red or blue?", false, ""}, // an English command is an answer here
			{"¿Cancelar?", "De acuerdo, he descartado la tarea.", true, engine.EndCanceled},
			{"cancelar", "No hay nada que cancelar.", false, ""},
			{"muchas gracias", "¡De nada!", false, ""},
			{"xyz", "Lo siento, no lo he entendido.", false, ""},
		}},
		{"french: small talk, cancel all and standard responses", "language: fr\n", []step{
			{"Bonjour", "Bonjour ! Comment puis-je vous aider ?", false, ""},
			{"paint", "Which color?", false, ""},
			{"other thing", "other done | Reprenons maintenant paint. | Which color?", true, engine.EndFulfilled},
			{"Tout annuler !", "D'accord, j'ai abandonné toutes les tâches.", true, engine.EndCanceled},
			{"au revoir", "Au revoir ! Bonne journée.", false, ""},
		}},
		{"a region is ignored", "language: es-MX\n", []step{{"adiós", "¡Adiós! Que tenga un buen día.", false, ""}}},
		{"multi-intent: run in order, entities from each part", "nlu: {multi_intent: true}\n", []step{
			{"paint the wall red and then count", "Painted red | A number?", true, engine.EndFulfilled},
			{"5", "total 5 last 5", true, ""},
		}},
		{"multi-intent: a before cue runs its part first", "nlu: {multi_intent: true}\n", []step{
			{"other thing, but before that paint the wall blue", "Painted blue | other done", true, engine.EndFulfilled},
		}},
		{"multi-intent: a cancelled task stops the sequence", "nlu: {multi_intent: true}\n", []step{
			{"paint the wall then other thing", "Which color?", false, ""},
			{"cancel", "OK, I have discarded the task.", true, engine.EndCanceled},
			{"red", "Sorry, I did not understand that.", false, ""},
		}},
		{"an intent asked for during a task that cannot be interrupted is offered at its end", "interruptions: {behavior: disallow}\nfollowup_intents: offer\n", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "Let's finish paint first. | Which color?", false, ""},
			{"red", "Painted red | <template>", true, engine.EndFulfilled},
			{"other", "other done", true, engine.EndFulfilled},
		}},
		{"without offer, follow-up intents stay for the tasks' conditions", "interruptions: {behavior: disallow}\n", []step{
			{"paint", "Which color?", false, ""},
			{"other thing", "Let's finish paint first. | Which color?", false, ""},
			{"red", "Painted red", true, engine.EndFulfilled},
		}},
		{"multi-intent is off by default", "", []step{
			{"paint the wall red and then count", "Sorry, I did not understand that.", false, ""},
		}},
		{"transitions and scopes", "", []step{
			{"count", "A number?", false, ""},
			{"42", "total 42 last 42 | big", true, engine.EndFulfilled},
			{"count", "A number?", false, ""},
			{"-3", "total -3 last -3 | negative", true, ""},
			{"count", "A number?", false, ""},
			{"5", "total 5 last 5", true, ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			play(t, newConvo(t, bot(t, tc.extra, nil)), tc.steps)
		})
	}
}

func TestScopeWritesAreOps(t *testing.T) {
	c := newConvo(t, bot(t, "", nil))
	c.say("count")
	out := c.say("7")
	if len(out.ScopeOps) != 1 || out.ScopeOps[0].Kind != engine.ScopeBot || out.ScopeOps[0].Value != 7.0 {
		t.Fatalf("ops = %+v, want one BotContext put of 7", out.ScopeOps)
	}
	// BotUserSession without TTL stays in the session.
	if got := c.ctx["session"].(map[string]any)["BotUserSession"].(map[string]any)["last"]; got != 7.0 {
		t.Fatalf("BotUserSession.last = %v", got)
	}
}

type fakeRecognizer struct{ r engine.Recognition }

func (f fakeRecognizer) Recognize(string) engine.Recognition { return f.r }

func TestDidYouMean(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "tasks"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte(botYAML), 0o644))
	for name, body := range map[string]string{
		"paint": "id: dg-p\nname: paint\nnodes:\n  - {id: m, type: message, messages: [painting]}\n",
		"count": "id: dg-c\nname: count\nnodes:\n  - {id: m, type: message, messages: [counting]}\n",
		"loop":  "id: dg-l\nname: loop\nnodes:\n  - {id: m, type: message, messages: [loop]}\n",
		"other": "id: dg-o\nname: other\nnodes:\n  - {id: m, type: message, messages: [other]}\n  - {id: s, type: intent, intent: add note}\n",
	} {
		must(t, os.WriteFile(filepath.Join(dir, "tasks", name+".yaml"), []byte(body), 0o644))
	}
	def, err := engine.Load(dir)
	must(t, err)
	amb := engine.Recognition{Status: engine.StatusAmbiguous, Candidates: []string{"paint", "count"}}
	b, err := engine.Compile(def, engine.Options{Recognizer: func(*botdef.Bot) (engine.IntentRecognizer, error) {
		return fakeRecognizer{amb}, nil
	}})
	must(t, err)
	c := newConvo(t, b)
	out := c.say("p or c")
	if len(out.Messages) != 1 || out.Messages[0].Template == nil {
		t.Fatalf("want a did-you-mean template, got %+v", out.Messages)
	}
	qr := out.Messages[0].Template["payload"].(map[string]any)["quick_replies"].([]any)
	if len(qr) != 2 || c.st.Choices[1] != "count" {
		t.Fatalf("choices = %v", qr)
	}
	if got := texts(c.say("Count")); got != "counting" {
		t.Fatalf("picking a choice said %q", got)
	}
}

type fakeServices struct {
	resp engine.ServiceResponse
	err  error
	got  engine.ServiceRequest
}

func (f *fakeServices) Call(_ context.Context, r engine.ServiceRequest) (engine.ServiceResponse, error) {
	f.got = r
	return f.resp, f.err
}

func TestServiceNode(t *testing.T) {
	task := `id: dg-svc
name: other
nodes:
  - id: call
    type: service
    method: POST
    url: "https://api.example.com/x/{{env.tenant}}"
    headers: {Authorization: "Bearer {{context.session.BotContext.token}}"}
    body: {n: "{{context.session.BotContext.n}}", text: "n={{context.session.BotContext.n}}"}
    on_failure: sorry
    transitions:
      - if: [{context: call.response.body.ok, op: "=", value: true}]
        to: ok
      - else: end
  - {id: ok, type: message, messages: ["ok {{context.call.response.statusCode}}"]}
  - {id: sorry, type: message, messages: ["sorry"]}
`
	b := bot(t, "env: {tenant: acme}\n", map[string]string{"other": task})
	for _, tc := range []struct {
		name string
		svc  *fakeServices
		want string
	}{
		{"success", &fakeServices{resp: engine.ServiceResponse{StatusCode: 200, Body: []byte(`{"ok":true}`)}}, "ok 200"},
		{"non-2xx is a failure", &fakeServices{resp: engine.ServiceResponse{StatusCode: 500, Body: []byte(`oops`)}}, "sorry"},
		{"timeout is a failure", &fakeServices{err: context.DeadlineExceeded}, "sorry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConvo(t, b)
			c.scope["BotContext.token"], c.scope["BotContext.n"] = "tok", 3.0
			c.in.Services = tc.svc
			out := c.say("other thing")
			if got := texts(out); got != tc.want {
				t.Fatalf("said %q, want %q", got, tc.want)
			}
			r := tc.svc.got
			if r.URL != "https://api.example.com/x/acme" || r.Header["Authorization"] != "Bearer tok" ||
				string(r.Body) != `{"n":3,"text":"n=3"}` || r.Header["Content-Type"] != "application/json" {
				t.Fatalf("request = %+v body %s", r, r.Body)
			}
		})
	}
	// Without on_failure the task fails.
	b = bot(t, "", map[string]string{"other": strings.NewReplacer("    on_failure: sorry\n", "", "- else: end", "- else: sorry").Replace(task)})
	c := newConvo(t, b)
	c.in.Services = &fakeServices{err: errors.New("refused")}
	out := c.say("other thing")
	if texts(out) != "Sorry something went wrong and I cannot complete your request now" || out.LastEnded.Reason != engine.EndFailed {
		t.Fatalf("said %q, ended %+v", texts(out), out.LastEnded)
	}
	if len(out.Errors) == 0 {
		t.Fatal("the failure was not reported for logging")
	}
}

func TestCompare(t *testing.T) {
	cur := map[string]any{"code": "USD", "amount": 500.0}
	for _, tc := range []struct {
		op    string
		lhs   any
		found bool
		rhs   any
		want  bool
	}{
		{"exists", "x", true, nil, true},
		{"exists", "", true, nil, false},
		{"exists", nil, false, nil, false},
		{"not_exists", nil, false, nil, true},
		{"=", "Salary", true, "salary", true},
		{"=", 5.0, true, "5", true},
		{"!=", "a", true, "b", true},
		{"!=", nil, false, "b", true},
		{"=", nil, false, "b", false},
		{"<", 3.0, true, 10.0, true},
		{">", cur, true, 100, true},
		{">=", 5.0, true, 5.0, true},
		{"<=", 6.0, true, 5.0, false},
		{"<", "2024-01-01", true, "2024-02-01", true},
		{">", "abc", true, 3.0, false},
		{"contains", "hello world", true, "WORLD", true},
		{"contains", []any{"a", "b"}, true, "b", true},
		{"contains", map[string]any{"k": 1.0}, true, "k", true},
		{"contains", []any{"a"}, true, "z", false},
	} {
		if got := engine.Compare(tc.op, tc.lhs, tc.found, tc.rhs); got != tc.want {
			t.Errorf("%v %s %v = %v, want %v", tc.lhs, tc.op, tc.rhs, got, tc.want)
		}
	}
}

func TestConfirmationVocabulary(t *testing.T) {
	task := `id: dg-o
name: other
nodes:
  - {id: q, type: confirmation, prompt: "Sure?", yes: y, no: n, yes_words: [ship it]}
  - {id: y, type: message, messages: ["yes"]}
  - {id: n, type: message, messages: ["no"]}
`
	for _, tc := range []struct {
		language string
		answers  map[string]string // answer → reply
	}{
		{"en", map[string]string{
			"yes": "yes", "Yeah!": "yes", "ok": "yes", "of course": "yes", "👍": "yes", "ship it": "yes",
			"no": "no", "nope": "no", "of course not": "no", "not really": "no", "absolutely not": "no",
			"that’s right": "yes", "maybe": "Please answer yes or no.",
		}},
		{"es", map[string]string{
			"¡Sí!": "yes", "si": "yes", "claro que sí": "yes", "de acuerdo": "yes", "ship it": "yes",
			"no": "no", "claro que no": "no", "por supuesto que no": "no", "para nada": "no",
			"yes": "yes", // the confirmation button's payload
			"ya":  "Por favor, responda sí o no.", "quizás": "Por favor, responda sí o no.",
		}},
		{"fr", map[string]string{
			"Oui": "yes", "d'accord": "yes", "D’accord": "yes", "bien sûr": "yes",
			"non": "no", "non merci": "no", "bien sûr que non": "no", "pas du tout": "no",
			"no": "no", "peut-être": "Veuillez répondre par oui ou par non.",
		}},
	} {
		b := bot(t, "language: "+tc.language+"\n", map[string]string{"other": task})
		for answer, want := range tc.answers {
			c := newConvo(t, b)
			c.say("other thing")
			if got := texts(c.say(answer)); got != want {
				t.Errorf("%s: %q → %q, want %q", tc.language, answer, got, want)
			}
		}
	}
}

// Kore's amend entity: a given answer is changed by name or by value, the
// task runs again from it (its transitions see the new value), and the
// waiting node is asked again.
func TestAmendEntity(t *testing.T) {
	task := `id: dg-o
name: other
nodes:
  - {id: color, type: entity, entity: color, next: qty}
  - id: qty
    type: entity
    entity: n
    transitions:
      - if: [{entity: qty, op: ">", value: 10}]
        to: too_many
      - else: sure
  - {id: sure, type: confirmation, prompt: "Order {{entities.qty}} {{entities.color}}?", yes: done, no: done}
  - {id: done, type: message, messages: ["Ordered {{entities.qty}} {{entities.color}}"]}
  - {id: too_many, type: message, messages: ["Too many."]}
`
	on := bot(t, "nlu: {amend_entities: true}\n", map[string]string{"other": task})
	c := newConvo(t, on)
	c.in.Extractor = engine.FallbackExtractor{}
	play(t, c, []step{
		{"other thing", "Which color?", false, ""},
		{"red", "A number?", false, ""},
		{"3", "Order 3 red?", false, ""},
		{"change the color to blue", "Order 3 blue?", false, ""},         // by name
		{"no wait, change 3 to 7", "Order 7 blue?", false, ""},           // by value
		{"red instead of blue", "Order 7 red?", false, ""},               // "instead of"
		{"change 7 to 2.5", "Order 2.5 red?", false, ""},                 // the new value keeps its decimal point
		{"change the qty to 20", "Too many.", true, engine.EndFulfilled}, // transitions see it
	})

	// Off by default: the same words answer the confirmation.
	off := bot(t, "", map[string]string{"other": task})
	c = newConvo(t, off)
	c.in.Extractor = engine.FallbackExtractor{}
	play(t, c, []step{
		{"other thing", "Which color?", false, ""},
		{"red", "A number?", false, ""},
		{"3", "Order 3 red?", false, ""},
		{"change the color to blue", "Please answer yes or no.", false, ""},
	})
}

func botForBench(t testing.TB) *engine.Bot { return bot(t, "", nil) }

// The unattended intent is kept in context.FollowupIntents, where intent
// conditions see it, and the offer forgets it.
func TestFollowupIntentsInContext(t *testing.T) {
	for _, offer := range []bool{false, true} {
		extra := "interruptions: {behavior: disallow}\n"
		if offer {
			extra += "followup_intents: offer\n"
		}
		c := newConvo(t, bot(t, extra, nil))
		c.say("paint")
		c.say("other thing")
		if got, _ := c.ctx["FollowupIntents"].([]any); len(got) != 1 || got[0] != "other" {
			t.Fatalf("offer %v: FollowupIntents = %v, want [other]", offer, c.ctx["FollowupIntents"])
		}
		c.say("red")
		_, kept := c.ctx["FollowupIntents"]
		if kept == offer {
			t.Errorf("offer %v: FollowupIntents kept after the task = %v", offer, kept)
		}
	}
}

// Kore's dialog node: the linked task starts with the entities the node
// sets, and the calling task goes on from the node once it is fulfilled,
// copying values back; with return: false the caller ends first; a
// cancelled linked task takes its caller with it.
func TestLinkedDialog(t *testing.T) {
	link := func(extra string) string {
		return `id: dg-o
name: other
nodes:
  - {id: m1, type: message, messages: ["Let's count first"], next: link}
  - {id: link, type: dialog, dialog: count, ` + extra + `}
  - {id: back, type: message, messages: ["Back with {{entities.counted}}"]}
`
	}
	tests := []struct {
		name  string
		task  string
		steps []step
	}{
		{"pre-assigned entity, then back", link(`pre: {n: 4}, post: {counted: n}, next: back`), []step{
			{"other thing", "Let's count first | total 4 last 4 | Back with 4", true, engine.EndFulfilled},
		}},
		{"the linked task asks, then back", link(`post: {counted: n}, next: back`), []step{
			{"other thing", "Let's count first | A number?", false, ""},
			{"12", "total 12 last 12 | big | Back with 12", true, engine.EndFulfilled},
		}},
		{"return false ends the caller first", `id: dg-o
name: other
nodes:
  - {id: m1, type: message, messages: ["Let's count first"], next: link}
  - {id: link, type: dialog, dialog: count, return: false}
`, []step{
			{"other thing", "Let's count first | A number?", true, engine.EndFulfilled},
			{"5", "total 5 last 5", true, engine.EndFulfilled},
		}},
		{"a cancelled linked task takes its caller", link(`post: {counted: n}, next: back`), []step{
			{"other thing", "Let's count first | A number?", false, ""},
			{"cancel", "OK, I have discarded the task.", true, engine.EndCanceled},
			{"7", "Sorry, I did not understand that.", false, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			play(t, newConvo(t, bot(t, "", map[string]string{"other": tt.task})), tt.steps)
		})
	}
}

// FuzzTurn: whatever the user says, first or in the middle of a task with
// entities and a confirmation, and with multi-intent and amend on, the
// engine answers without panicking and its state stays usable.
func FuzzTurn(f *testing.F) {
	for _, s := range []string{"other thing", "change the color to blue", "red instead of", "paint then count",
		"but before that", "change 3 to", "instead of instead of", "¿cancelar?", "\xff\xfe", "make it 5 to 6 to 7"} {
		f.Add(s)
	}
	task := `id: dg-o
name: other
nodes:
  - {id: color, type: entity, entity: color, next: qty}
  - {id: qty, type: entity, entity: n, next: sure}
  - {id: sure, type: confirmation, prompt: "Order {{entities.qty}} {{entities.color}}?", yes: done, no: done}
  - {id: done, type: message, messages: ["Ordered"]}
`
	b := bot(f, "nlu: {multi_intent: true, amend_entities: true}\n", map[string]string{"other": task})
	f.Fuzz(func(t *testing.T, s string) {
		c := newConvo(t, b)
		c.in.Extractor = engine.FallbackExtractor{}
		c.say(s)
		for _, step := range []string{"other thing", "red", "3", s, "yes"} {
			c.say(step)
		}
		if c.st.Active != nil && c.st.Active.Task == "" {
			t.Fatalf("an active frame without a task after %q", s)
		}
	})
}
