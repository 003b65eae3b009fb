// Package engine runs a bot definition against one user turn: it resolves
// the intent, walks the task's nodes until one needs user input, and
// reports the messages and end-of-task fields Kore's webhook returns.
//
// The engine is pure: it reads and writes the Kore-shaped context map it is
// given and does no I/O, so the processor can retry a turn freely.
package engine

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// End reasons, spelled as Kore documents them.
const (
	EndFulfilled = "Fulfilled"
	EndCanceled  = "Canceled"
	EndFailed    = "Failed"
)

// Input of one turn.
type Input struct {
	Bot  *botdef.Bot
	Text string
	// Context is the session's Kore context object; the engine updates it.
	Context map[string]any
}

// Output of one turn.
type Output struct {
	Messages  []string
	EndOfTask bool
	// The most recently ended task in the session (empty if none).
	EndReason, TaskID, TaskName string
}

// maxHops bounds node transitions without user input (Kore's limit).
const maxHops = 25

// state is the engine's own part of the context, under "dialog".
type state struct {
	Task string
	Node string
}

// Handle runs one turn.
func Handle(in Input) Output {
	var out Output
	st := loadState(in.Context)
	if st.Task != "" && isCancel(in.Text) {
		endTask(in.Context, &out, findTask(in.Bot, st.Task), EndCanceled)
		out.Messages = append(out.Messages, "OK, I have cancelled that.")
		saveState(in.Context, state{})
		return withLastEnded(in.Context, out)
	}
	if st.Task == "" {
		intent := matchIntent(in.Bot, in.Text)
		if intent == nil {
			if in.Bot.Messages.Greeting != "" && isGreeting(in.Text) {
				out.Messages = append(out.Messages, in.Bot.Messages.Greeting)
			} else {
				out.Messages = append(out.Messages, in.Bot.Messages.Default)
			}
			return withLastEnded(in.Context, out)
		}
		task := findTask(in.Bot, intent.Task)
		in.Context["intent"] = map[string]any{"name": intent.Name}
		in.Context["entities"] = map[string]any{}
		st = state{Task: task.Name, Node: task.Start}
		runNodes(in, task, &st, &out, "")
	} else {
		task := findTask(in.Bot, st.Task)
		runNodes(in, task, &st, &out, in.Text)
	}
	saveState(in.Context, st)
	return withLastEnded(in.Context, out)
}

// runNodes advances from st.Node; answer is the user's reply to the node
// that was waiting for input ("" when the task has just started).
func runNodes(in Input, task *botdef.Task, st *state, out *Output, answer string) {
	for hops := 0; st.Node != ""; hops++ {
		if hops >= maxHops {
			out.Messages = append(out.Messages, "Sorry, this conversation went round in circles; please start again.")
			endTask(in.Context, out, task, EndFailed)
			*st = state{}
			return
		}
		node := findNode(task, st.Node)
		switch node.Type {
		case botdef.NodeEntity:
			entities := in.Context["entities"].(map[string]any)
			if _, done := entities[node.Entity.Name]; !done {
				if answer == "" {
					out.Messages = append(out.Messages, node.Prompt)
					return
				}
				v, ok := extract(node.Entity, answer)
				answer = ""
				if !ok {
					msg := node.ErrorPrompt
					if msg == "" {
						msg = node.Prompt
					}
					out.Messages = append(out.Messages, msg)
					return
				}
				entities[node.Entity.Name] = v
			}
		case botdef.NodeMessage:
			for _, t := range node.Text {
				out.Messages = append(out.Messages, interpolate(t, in.Context))
			}
		}
		st.Node = node.Next
	}
	endTask(in.Context, out, task, EndFulfilled)
	*st = state{}
}

func endTask(ctx map[string]any, out *Output, task *botdef.Task, reason string) {
	out.EndOfTask = true
	ctx["lastEndedTask"] = map[string]any{"id": task.ID, "name": task.Name, "reason": reason}
}

// withLastEnded reports the most recently ended task, as Kore does even on
// turns where no task ended.
func withLastEnded(ctx map[string]any, out Output) Output {
	if last, ok := ctx["lastEndedTask"].(map[string]any); ok {
		out.TaskID, _ = last["id"].(string)
		out.TaskName, _ = last["name"].(string)
		out.EndReason, _ = last["reason"].(string)
	}
	return out
}

func loadState(ctx map[string]any) state {
	d, _ := ctx["dialog"].(map[string]any)
	task, _ := d["task"].(string)
	node, _ := d["node"].(string)
	return state{Task: task, Node: node}
}

func saveState(ctx map[string]any, st state) {
	if st.Task == "" {
		delete(ctx, "dialog")
		return
	}
	ctx["dialog"] = map[string]any{"task": st.Task, "node": st.Node}
}

func findTask(b *botdef.Bot, name string) *botdef.Task {
	for i := range b.Tasks {
		if b.Tasks[i].Name == name {
			return &b.Tasks[i]
		}
	}
	return nil
}

func findNode(t *botdef.Task, id string) *botdef.Node {
	for i := range t.Nodes {
		if t.Nodes[i].ID == id {
			return &t.Nodes[i]
		}
	}
	return nil
}

// matchIntent is a deliberately simple matcher: the best intent whose
// utterance shares most of its words with the text. The NLU package
// replaces it.
func matchIntent(b *botdef.Bot, text string) *botdef.Intent {
	words := tokens(text)
	if len(words) == 0 {
		return nil
	}
	var best *botdef.Intent
	bestScore := 0.0
	for i := range b.Intents {
		for _, u := range b.Intents[i].Utterances {
			uw := tokens(u)
			shared := 0
			for w := range uw {
				if words[w] {
					shared++
				}
			}
			union := len(uw) + len(words) - shared
			if score := float64(shared) / float64(union); score > bestScore {
				best, bestScore = &b.Intents[i], score
			}
		}
	}
	if bestScore < 0.5 {
		return nil
	}
	return best
}

func tokens(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		out[w] = true
	}
	return out
}

func isCancel(text string) bool {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "cancel", "discard", "stop":
		return true
	}
	return false
}

func isGreeting(text string) bool {
	switch strings.Trim(strings.ToLower(strings.TrimSpace(text)), "!.") {
	case "hi", "hello", "hey", "good morning", "good afternoon", "good evening":
		return true
	}
	return false
}

func extract(spec *botdef.EntitySpec, text string) (any, bool) {
	if spec.Type == botdef.EntityString {
		t := strings.TrimSpace(text)
		return t, t != ""
	}
	words := tokens(text)
	for _, v := range spec.Values {
		for _, cand := range append([]string{v.Value}, v.Synonyms...) {
			all := true
			for w := range tokens(cand) {
				all = all && words[w]
			}
			if all {
				return v.Value, true
			}
		}
	}
	return nil, false
}

var ref = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// interpolate replaces {{entities.x}} and {{context.a.b}}.
func interpolate(s string, ctx map[string]any) string {
	return ref.ReplaceAllStringFunc(s, func(m string) string {
		path := ref.FindStringSubmatch(m)[1]
		var cur any = ctx
		parts := strings.Split(path, ".")
		if parts[0] == "context" {
			parts = parts[1:]
		}
		for _, p := range parts {
			mm, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			cur = mm[p]
		}
		switch v := cur.(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			return strings.TrimSpace(strings.ReplaceAll(strings.Trim(strings.TrimSpace(toString(v)), "\""), "\n", " "))
		}
	})
}
