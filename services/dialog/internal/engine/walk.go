package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

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
		next, wait, done := r.exec(n)
		if wait || done {
			return
		}
		id = next
	}
}

// exec runs one node: next is the following node, wait means the node asked
// the user, done that the task ended.
func (r *run) exec(n *node) (next string, wait, done bool) {
	switch n.def.Type {
	case botdef.NodeIntent, botdef.NodeLogic:
		for _, op := range n.ops {
			r.applyOp(op)
		}
	case botdef.NodeMessage:
		r.emit(n.msgs)
	case botdef.NodeEntity:
		if _, filled := r.entity(n.def.ID); filled {
			break
		}
		switch n.def.Presence {
		case "hidden":
			if n.def.Default != nil {
				r.setEntity(n, n.def.Default)
			}
			return r.next(n), false, false
		}
		if n.def.Extraction != "prompt" && r.fromUtterance(n) {
			break
		}
		r.st.Active.Retries = 0
		r.ask(n)
		return "", true, false
	case botdef.NodeConfirmation, botdef.NodeForm:
		r.st.Active.Retries = 0
		r.ask(n)
		return "", true, false
	case botdef.NodeDialog:
		return r.linkDialog(n)
	case botdef.NodeService:
		if !r.service(n) {
			return r.onFailure(n)
		}
	case botdef.NodeScript:
		if err := r.script(n); err != nil {
			r.out.Errors = append(r.out.Errors, err)
			return r.onFailure(n)
		}
	case botdef.NodeAgentTransfer:
		if len(n.msgs) > 0 {
			r.emit(n.msgs)
		} else {
			r.std("agent_transfer", nil)
		}
		t := r.task()
		r.out.Handoff = &Handoff{TaskID: t.def.ID, TaskName: t.def.Name, NodeID: n.def.ID, Queue: n.def.Queue}
		hist, _ := r.c["history"].([]any)
		r.c["history"] = append(hist, map[string]any{"dialogState": "transferredToAgent", "nodeId": n.def.ID, "timestamp": r.in.Now.UTC().Format(time.RFC3339Nano)})
		r.st.Held = nil
		r.finish(EndFulfilled, false)
		return "", false, true
	case botdef.NodeEnd:
		r.emit(n.msgs)
		r.finish(EndFulfilled, true)
		return "", false, true
	}
	return r.next(n), false, false
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

// fromUtterance fills the entity from the unused words of the utterance
// that started the task.
func (r *run) fromUtterance(n *node) bool {
	fr := r.st.Active
	if fr.Utterance == "" {
		return false
	}
	text := []byte(fr.Utterance)
	for _, u := range fr.Used {
		for i := max(u[0], 0); i < u[1] && i < len(text); i++ {
			text[i] = ' '
		}
	}
	m, ok := r.in.Extractor.Extract(n.entity, string(text), r.in.Now)
	if !ok || n.entity.Type == "string" || n.entity.Type == "description" {
		return false
	}
	fr.Used = append(fr.Used, [2]int{m.Start, m.End})
	r.setEntity(n, m.Value)
	return true
}

func (r *run) entity(name string) (any, bool) {
	ents, _ := r.c["entities"].(map[string]any)
	v, ok := ents[name]
	return v, ok && v != nil
}

// maxServiceBody bounds what a service node keeps of a response.
const maxServiceBody = 256 << 10

// service performs the call; false means failure (transport error,
// timeout or a status outside 2xx).
func (r *run) service(n *node) bool {
	req := ServiceRequest{
		Method: n.def.Method, URL: n.url.Render(r.lookup), Header: map[string]string{}, Timeout: n.timeout,
	}
	for k, t := range n.headers {
		req.Header[k] = t.Render(r.lookup)
	}
	if n.body != nil {
		switch b := n.body.eval(r.lookup).(type) {
		case string:
			req.Body = []byte(b)
		default:
			data, err := json.Marshal(b)
			if err != nil {
				r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: encode body: %w", n.def.ID, err))
				return false
			}
			req.Body = data
			if _, ok := headerValue(req.Header, "Content-Type"); !ok {
				req.Header["Content-Type"] = "application/json"
			}
		}
	}
	result := map[string]any{"statusCode": float64(0)}
	r.c[n.def.ID] = map[string]any{"response": result}
	if r.in.Services == nil {
		r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: no service caller configured", n.def.ID))
		return false
	}
	resp, err := r.in.Services.Call(r.ctx, req)
	if err != nil {
		result["error"] = err.Error()
		r.out.Errors = append(r.out.Errors, fmt.Errorf("service %s: %w", n.def.ID, err))
		return false
	}
	result["statusCode"] = float64(resp.StatusCode)
	body := resp.Body
	if len(body) > maxServiceBody {
		body = body[:maxServiceBody]
	}
	var decoded any
	if json.Valid(body) && json.Unmarshal(body, &decoded) == nil {
		result["body"] = decoded
	} else {
		result["body"] = string(body)
	}
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

func headerValue(h map[string]string, k string) (string, bool) {
	for hk, v := range h {
		if http.CanonicalHeaderKey(hk) == http.CanonicalHeaderKey(k) {
			return v, true
		}
	}
	return "", false
}

func (r *run) script(n *node) error {
	// Writes to the session's own BotUserSession must land in the context
	// the script hands back, so they are replayed after the copy-back.
	var later []func()
	local := map[string]scopeVal{}
	env := &ScriptEnv{
		Context: r.c,
		Get: func(kind ScopeKind, key string) any {
			if sv, ok := local[scopeKey(kind, key)]; ok {
				return sv.v
			}
			v, _ := r.scopeGet(kind, key)
			return v
		},
		Put: func(kind ScopeKind, key string, v any, ttl time.Duration) {
			local[scopeKey(kind, key)] = scopeVal{v: v}
			later = append(later, func() { r.scopePut(kind, key, v, ttl) })
		},
		Delete: func(kind ScopeKind, key string) {
			local[scopeKey(kind, key)] = scopeVal{deleted: true}
			later = append(later, func() { r.scopeDelete(kind, key) })
		},
	}
	if err := n.script.Run(r.ctx, env); err != nil {
		return fmt.Errorf("script %s: %w", n.def.ID, err)
	}
	if env.Context != nil {
		for k := range r.c {
			if _, ok := env.Context[k]; !ok {
				delete(r.c, k)
			}
		}
		for k, v := range env.Context {
			r.c[k] = v
		}
	}
	for _, f := range later {
		f()
	}
	return nil
}

// formInput checks a submission and stores it in context.forms.<form>.
func (r *run) formInput(n *node, sub *FormSubmission) {
	f := n.form
	values := map[string]any{}
	var problems []string
	if sub.FormID != "" && sub.FormID != f.ID {
		problems = append(problems, fmt.Sprintf("this is not the %s form", f.Name))
	}
	byID := map[string]*botdef.FormComponent{}
	for _, c := range f.Fields() {
		byID[c.ID] = c
	}
	for _, id := range sub.Order {
		c := byID[id]
		if c == nil {
			continue // submit buttons and unknown components
		}
		values[c.Name] = sub.Values[id]
	}
	for _, c := range f.Fields() {
		v, ok := values[c.Name]
		s := strings.TrimSpace(botdef.Stringify(v))
		if !ok || s == "" {
			if c.Required {
				problems = append(problems, label(c)+" is required")
			}
			continue
		}
		if msg := checkField(c, v, s); msg != "" {
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		r.retry(n, func() {
			r.std("form_invalid", map[string]any{"form": f.DisplayName, "errors": strings.Join(problems, "; ")})
			r.sendForm(n)
		})
		return
	}
	forms, _ := r.c["forms"].(map[string]any)
	if forms == nil {
		forms = map[string]any{}
		r.c["forms"] = forms
	}
	forms[f.Name] = values
	display := f.DisplayName
	if display == "" {
		display = f.Name
	}
	if n.submit != nil {
		r.say(n.submit.Render(r.lookup))
	} else {
		r.std("form_submitted", map[string]any{"form": display})
	}
	r.walk(r.next(n))
}

func label(c *botdef.FormComponent) string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return c.Name
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func checkField(c *botdef.FormComponent, v any, s string) string {
	bad := func(def string) string {
		if c.Validation != nil && c.Validation.Message != "" {
			return c.Validation.Message
		}
		return def
	}
	var num float64
	isNum := false
	switch c.Type {
	case "number", "rangeSlider":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad(label(c) + " must be a number")
		}
		num, isNum = f, true
	case "email":
		if !emailRe.MatchString(s) {
			return bad(label(c) + " must be an e-mail address")
		}
	case "dropdown", "radio":
		ok := false
		for _, allowed := range c.Values {
			if allowed == s {
				ok = true
			}
		}
		if !ok {
			return bad(label(c) + " must be one of " + strings.Join(c.Values, ", "))
		}
	case "date":
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return bad(label(c) + " must be a date (YYYY-MM-DD)")
		}
	}
	val := c.Validation
	if val == nil {
		return ""
	}
	if val.Regex != "" {
		re, err := regexp.Compile("^(?:" + val.Regex + ")$")
		if err != nil || !re.MatchString(s) {
			return bad(label(c) + " is not valid")
		}
	}
	size := float64(len([]rune(s)))
	if isNum {
		size = num
	}
	if (val.Min != nil && size < *val.Min) || (val.Max != nil && size > *val.Max) {
		return bad(label(c) + " is out of range")
	}
	_ = v
	return ""
}

// errNoValue marks a copy from a missing value.
var errNoValue = errors.New("no value")

func (r *run) applyOp(op logicOp) {
	switch op.kind {
	case "set":
		r.set(op.path, op.value.eval(r.lookup), op.ttl)
	case "delete":
		r.del(op.path)
	case "copy":
		v, ok := r.lookup(op.from)
		if !ok {
			r.out.Errors = append(r.out.Errors, fmt.Errorf("copy %s: %w", op.from, errNoValue))
			return
		}
		r.set(op.path, deepCopy(v), op.ttl)
	}
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
