package engine

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// walk runs nodes from id until one waits for input or the task ends.
func (r *run) walk(id string) {
	for {
		t := r.task()
		if t == nil {
			return
		}
		if id == "" || id == botdef.TargetEnd {
			r.finish(EndFulfilled, true)
			return
		}
		r.hops++
		if r.hops > MaxHops {
			r.std("hop_limit", nil)
			r.out.Errors = append(r.out.Errors, fmt.Errorf("task %s: more than %d nodes without user input at %s", t.def.Name, MaxHops, id))
			r.st.Held = nil
			r.finish(EndFailed, false)
			return
		}
		n := t.nodes[id]
		if n == nil {
			r.fail(fmt.Errorf("task %s: no node %s", t.def.Name, id), "")
			return
		}
		r.st.Active.Node = id
		next, wait, done := n.do.exec(r, n) // the node's type runs it

		if wait || done {
			return
		}
		id = next
	}
}

// await makes n the waiting node and asks for its answer.
func (r *run) await(n *node) (string, bool, bool) {
	r.st.Active.Retries = 0
	r.ask(n)
	return "", true, false
}

func (r *run) onFailure(n *node) (string, bool, bool) {
	if to := n.def.OnFailure; to != "" {
		return to, false, false
	}
	r.fail(nil, "")
	return "", false, true
}

// fail ends the task as Failed with the standard failure message.
func (r *run) fail(err error, _ string) {
	if err != nil {
		r.out.Errors = append(r.out.Errors, err)
	}
	r.std("failure", nil)
	r.finish(EndFailed, true)
}

// next evaluates the node's transitions; "" ends the dialog.
func (r *run) next(n *node) string {
	for _, tr := range n.trans {
		if tr.final || r.holds(tr) {
			return tr.to
		}
	}
	return ""
}

func (r *run) emit(msgs []value) {
	for _, m := range msgs {
		switch v := m.eval(r.lookup).(type) {
		case string:
			r.say(v)
		case map[string]any:
			r.out.Messages = append(r.out.Messages, Message{Template: v})
		case nil:
		default:
			r.say(botdef.Stringify(v))
		}
	}
}

func (r *run) entity(name string) (any, bool) {
	ents, _ := r.c["entities"].(map[string]any)
	v, ok := ents[name]
	return v, ok && v != nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	default:
		return v
	}
}

// trimInput bounds and trims the utterance.
func trimInput(s string) string {
	if len(s) > 4096 {
		s = s[:4096]
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8([]byte(s), nil)))
}
