package botdef

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

var (
	botIDPattern  = regexp.MustCompile(`^st-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	nodeIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	namePattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Known Kore template types a message node may emit; other "type" values
// (image, error, message, ...) are passed through as they are.
var templateTypes = []string{
	"button", "quick_replies", "list", "carousel", "attachment", "feedbackTemplate", "piechart",
	"linechart", "barchart", "table", "mini_table", "dropdown_template", "like_dislike", "multi_select",
}

type checker struct {
	probs []Problem
}

func (c *checker) add(file, path, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: file, Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (c *checker) template(file, path, s string) {
	if _, err := ParseTemplate(s); err != nil {
		c.add(file, path, "template does not parse: %v", err)
	}
}

// anyTemplates checks every string inside a YAML value.
func (c *checker) anyTemplates(file, path string, v any) {
	switch x := v.(type) {
	case string:
		c.template(file, path, x)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			c.anyTemplates(file, path+"."+k, x[k])
		}
	case []any:
		for i, e := range x {
			c.anyTemplates(file, fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Validate returns every problem of a bot; nil means it is valid.
func Validate(b *Bot) []Problem {
	c := &checker{}
	const bf = "bot.yaml"
	if b.Format != Format {
		c.add(bf, "format", "must be %q, not %q", Format, b.Format)
	}
	if !botIDPattern.MatchString(b.ID) {
		c.add(bf, "id", "%q is not st-<uuid>", b.ID)
	}
	if b.Name == "" {
		c.add(bf, "name", "required")
	}
	if b.Language != "" && !regexp.MustCompile(`^[a-z]{2}(-[A-Za-z]{2})?$`).MatchString(b.Language) {
		c.add(bf, "language", "%q is not a language code such as en or en-US", b.Language)
	}
	if !b.Privacy.LogText.Valid() {
		c.add(bf, "privacy.log_text", "must be hidden, redacted or full")
	}
	if to := b.Session.IdleTimeout; to != 0 && (to < 5*time.Minute || to > 14*24*time.Hour) {
		c.add(bf, "session.idle_timeout", "must be between 5m and 336h (Kore's range)")
	}
	n := b.NLU
	if n.Minimum < 0 || n.Minimum > 1 || n.Definite < 0 || n.Definite > 1 {
		c.add(bf, "nlu", "thresholds must be between 0 and 1")
	}
	if n.Proximity < 0 || n.Proximity > 0.2 {
		c.add(bf, "nlu.proximity", "must be between 0 and 0.2 (Kore's range)")
	}
	c.interruptions(bf, "interruptions", b.Interruptions)
	if b.OnConnect != "" && b.Task(b.OnConnect) == nil {
		c.add(bf, "on_connect", "no task named %q", b.OnConnect)
	}
	if f := b.FollowupIntents; f != "" && f != "offer" {
		c.add(bf, "followup_intents", "must be empty or \"offer\", not %q", f)
	}
	for i, w := range b.CancelWords {
		if strings.TrimSpace(w) == "" {
			c.add(bf, fmt.Sprintf("cancel_words[%d]", i), "empty")
		}
	}
	for k := range b.Env {
		if !namePattern.MatchString(k) {
			c.add(bf, "env."+k, "variable names hold letters, digits and '_'")
		}
	}
	m := b.Messages
	for _, f := range []struct{ k, v string }{
		{"default", m.Default}, {"greeting", m.Greeting}, {"thanks", m.Thanks}, {"goodbye", m.Goodbye},
		{"task_canceled", m.TaskCanceled}, {"all_canceled", m.AllCanceled}, {"resume", m.Resume},
		{"hop_limit", m.HopLimit}, {"failure", m.Failure}, {"retries_exceeded", m.RetriesExceeded},
		{"did_you_mean", m.DidYouMean}, {"confirm_error", m.ConfirmError}, {"form_submitted", m.FormSubmitted},
		{"form_invalid", m.FormInvalid}, {"agent_transfer", m.AgentTransfer}, {"interruption_denied", m.InterruptionDeny},
		{"nothing_to_cancel", m.NothingToCancel},
	} {
		c.template(bf, "messages."+f.k, f.v)
	}
	for _, name := range sortedKeys(b.Entities) {
		c.entity(bf, "entities."+name, name, b.Entities[name], true)
	}

	tasks := map[string]*Task{}
	taskIDs := map[string]*Task{}
	subIntentUse := map[string]bool{}
	for i := range b.Tasks {
		t := &b.Tasks[i]
		if other, dup := tasks[t.Name]; dup && t.Name != "" {
			c.add(t.File, "name", "task %q is also defined in %s", t.Name, other.File)
		}
		if other, dup := taskIDs[t.ID]; dup && t.ID != "" {
			c.add(t.File, "id", "task id %q is also used by %s", t.ID, other.File)
		}
		tasks[t.Name], taskIDs[t.ID] = t, t
		for _, nd := range t.Nodes {
			if nd.Type == NodeIntent && nd.ID != t.StartNode() {
				subIntentUse[nd.Intent] = true
			}
		}
	}
	intents := map[string]bool{}
	for i, in := range b.Intents {
		p := fmt.Sprintf("intents[%d]", i)
		if in.Name == "" {
			c.add(bf, p+".name", "required")
		}
		if intents[in.Name] {
			c.add(bf, p+".name", "intent %q is defined twice", in.Name)
		}
		intents[in.Name] = true
		if in.Task == "" {
			if !subIntentUse[in.Name] {
				c.add(bf, p+".task", "intent %q has no task and no intent node uses it as a sub-intent", in.Name)
			}
		} else if _, ok := tasks[in.Task]; !ok {
			c.add(bf, p+".task", "no task named %q under tasks/", in.Task)
		}
		if len(in.Utterances)+len(in.Patterns) == 0 {
			c.add(bf, p, "needs at least one utterance or pattern")
		}
		for j, u := range in.Utterances {
			if len(u) > 3000 {
				c.add(bf, fmt.Sprintf("%s.utterances[%d]", p, j), "longer than 3000 characters (Kore's limit)")
			}
		}
	}
	if b.DefaultTask != "" {
		if _, ok := tasks[b.DefaultTask]; !ok {
			c.add(bf, "default_task", "no task named %q under tasks/", b.DefaultTask)
		}
	}
	for i := range b.Tasks {
		c.task(b, &b.Tasks[i], intents)
	}
	for _, name := range sortedKeys(b.Forms) {
		c.form(b.Forms[name])
	}
	return c.probs
}

func (c *checker) interruptions(file, path string, in *Interruptions) {
	if in == nil {
		return
	}
	switch in.Behavior {
	case "", InterruptHoldResume, InterruptDiscard, InterruptDisallow:
	default:
		c.add(file, path+".behavior", "unknown behaviour %q (known: hold_resume, discard, disallow)", in.Behavior)
	}
	switch in.Resume {
	case "", ResumeNotify, ResumeSilent:
	default:
		c.add(file, path+".resume", "unknown resume option %q (known: notify, silent)", in.Resume)
	}
	if in.MaxOnHold < 0 || in.MaxOnHold > 20 {
		c.add(file, path+".max_on_hold", "must be between 1 and 20")
	}
}

func (c *checker) entity(file, path, name string, e *EntityDef, top bool) {
	if top && !namePattern.MatchString(name) {
		c.add(file, path, "entity name %q must start with a letter and hold only letters, digits and '_' (no spaces)", name)
	}
	if e == nil {
		c.add(file, path, "empty entity")
		return
	}
	if !slices.Contains(EntityTypes, e.Type) {
		c.add(file, path+".type", "entity type %q does not exist (known: %s)", e.Type, strings.Join(EntityTypes, ", "))
		return
	}
	switch e.Type {
	case "list":
		if len(e.Values) == 0 {
			c.add(file, path+".values", "a list entity needs values")
		}
		for i, v := range e.Values {
			if strings.TrimSpace(v.Value) == "" {
				c.add(file, fmt.Sprintf("%s.values[%d].value", path, i), "required")
			}
		}
	case "regex", "custom":
		if e.Regex == "" {
			c.add(file, path+".regex", "a %s entity needs a regex", e.Type)
		} else if _, err := regexp.Compile(e.Regex); err != nil {
			c.add(file, path+".regex", "does not compile: %v", err)
		}
	case "composite":
		if !top {
			c.add(file, path+".type", "a composite entity cannot hold another composite")
		}
		if len(e.Components) == 0 {
			c.add(file, path+".components", "a composite entity needs components")
		}
		for _, k := range sortedKeys(e.Components) {
			sub := e.Components[k]
			if sub != nil && sub.Type == "description" {
				c.add(file, path+".components."+k+".type", "a composite cannot hold a description entity (Kore's restriction)")
			}
			c.entity(file, path+".components."+k, k, sub, false)
		}
	}
	if e.Prompt != "" {
		c.template(file, path+".prompt", e.Prompt)
	}
	if e.ErrorPrompt != "" {
		c.template(file, path+".error_prompt", e.ErrorPrompt)
	}
}

func (c *checker) task(b *Bot, t *Task, intents map[string]bool) {
	f := t.File
	if t.Name == "" {
		c.add(f, "name", "required")
	}
	if t.ID == "" {
		c.add(f, "id", "required (Kore uses dg-<uuid>)")
	}
	if len(t.Nodes) == 0 {
		c.add(f, "nodes", "a task needs at least one node")
		return
	}
	c.interruptions(f, "interruptions", t.Interruptions)
	nodes := map[string]int{}
	for i, n := range t.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		if n.ID == TargetEnd {
			c.add(f, p+".id", "%q is reserved for the end of dialog", TargetEnd)
		} else if !nodeIDPattern.MatchString(n.ID) {
			c.add(f, p+".id", "%q must start with a letter and hold only letters, digits and '_'", n.ID)
		}
		if _, dup := nodes[n.ID]; dup {
			c.add(f, p+".id", "node %q is defined twice", n.ID)
		}
		nodes[n.ID] = i
	}
	start := t.StartNode()
	if _, ok := nodes[start]; !ok {
		c.add(f, "start", "no node named %q", start)
	}
	target := func(path, to string) {
		if to == "" || to == TargetEnd {
			return
		}
		if _, ok := nodes[to]; !ok {
			c.add(f, path, "unknown node %q in a transition", to)
		}
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		p := fmt.Sprintf("nodes[%d]", i)
		c.node(b, t, n, p, intents, i == nodes[start])
		target(p+".next", n.Next)
		target(p+".yes", n.Yes)
		target(p+".no", n.No)
		target(p+".else", n.Else)
		target(p+".on_failure", n.OnFailure)
		target(p+".on_retries_exceeded", n.OnRetriesExceeded)
		if n.Next != "" && len(n.Transitions) > 0 {
			c.add(f, p+".next", "use either next or transitions, not both")
		}
		if len(n.Transitions) > 0 {
			hasElse := false
			for j, tr := range n.Transitions {
				tp := fmt.Sprintf("%s.transitions[%d]", p, j)
				switch {
				case tr.Else != "":
					if len(tr.If) > 0 || tr.To != "" {
						c.add(f, tp, "an else branch has no conditions and no to")
					}
					if j != len(n.Transitions)-1 {
						c.add(f, tp, "the else branch must come last")
					}
					hasElse = true
					target(tp+".else", tr.Else)
				default:
					if len(tr.If) == 0 {
						c.add(f, tp+".if", "a branch needs conditions (or is the else)")
					}
					if tr.To == "" {
						c.add(f, tp+".to", "required")
					}
					target(tp+".to", tr.To)
					if tr.Join != "" && tr.Join != "and" && tr.Join != "or" {
						c.add(f, tp+".join", "must be and or or")
					}
					for k, cd := range tr.If {
						c.condition(t, f, fmt.Sprintf("%s.if[%d]", tp, k), cd)
					}
				}
			}
			if !hasElse {
				c.add(f, p+".transitions", "a fallback (else) branch is required")
			}
		}
	}
	// Reachability: from the start, and from intent nodes (sub-intents are
	// entered by the user's words, not by a transition).
	reached := map[string]bool{}
	var queue []string
	push := func(id string) {
		if _, ok := nodes[id]; ok && !reached[id] {
			reached[id] = true
			queue = append(queue, id)
		}
	}
	push(start)
	for _, n := range t.Nodes {
		if n.Type == NodeIntent {
			push(n.ID)
		}
	}
	for len(queue) > 0 {
		n := &t.Nodes[nodes[queue[0]]]
		queue = queue[1:]
		for _, to := range Targets(n) {
			push(to)
		}
	}
	for i, n := range t.Nodes {
		if !reached[n.ID] {
			c.add(f, fmt.Sprintf("nodes[%d]", i), "node %q is unreachable from %q", n.ID, start)
		}
	}
}

// Targets lists every node a node can lead to (without "end").
func Targets(n *Node) []string {
	var out []string
	for _, to := range []string{n.Next, n.Yes, n.No, n.Else, n.OnFailure, n.OnRetriesExceeded} {
		if to != "" && to != TargetEnd {
			out = append(out, to)
		}
	}
	for _, tr := range n.Transitions {
		for _, to := range []string{tr.To, tr.Else} {
			if to != "" && to != TargetEnd {
				out = append(out, to)
			}
		}
	}
	return out
}

func (c *checker) condition(t *Task, f, p string, cd Condition) {
	sides := 0
	if cd.Entity != "" {
		sides++
		found := false
		for _, n := range t.Nodes {
			found = found || (n.ID == cd.Entity && (n.Type == NodeEntity || n.Type == NodeConfirmation))
		}
		if !found {
			c.add(f, p+".entity", "no entity or confirmation node %q in this task", cd.Entity)
		}
	}
	if cd.Context != "" {
		sides++
		if _, err := ParsePath(ContextPath(cd.Context)); err != nil {
			c.add(f, p+".context", "%v", err)
		}
	}
	if cd.Intent {
		sides++
	}
	if sides != 1 {
		c.add(f, p, "needs exactly one of entity, context or intent")
	}
	if !slices.Contains(Operators, cd.Op) {
		c.add(f, p+".op", "unknown operator %q (known: %s)", cd.Op, strings.Join(Operators, ", "))
	}
	unary := cd.Op == "exists" || cd.Op == "not_exists"
	switch {
	case unary && (cd.Value != nil || cd.ValueFrom != ""):
		c.add(f, p, "%s takes no value", cd.Op)
	case !unary && cd.Value == nil && cd.ValueFrom == "":
		c.add(f, p, "%s needs a value or value_from", cd.Op)
	case cd.Value != nil && cd.ValueFrom != "":
		c.add(f, p, "use value or value_from, not both")
	}
	if cd.ValueFrom != "" {
		if _, err := ParsePath(cd.ValueFrom); err != nil {
			c.add(f, p+".value_from", "%v", err)
		}
	}
	if cd.Intent && cd.Op != "exists" && cd.Op != "not_exists" && cd.Op != "contains" && cd.Op != "=" {
		c.add(f, p+".op", "an intent condition takes exists, not_exists, contains or =")
	}
}

// ContextPath turns a condition's context side ("a.b" or "context.a.b")
// into a full reference.
func ContextPath(s string) string {
	if strings.HasPrefix(s, "context.") {
		return s
	}
	return "context." + s
}

func (c *checker) prompt(f, p string, n *Node, required bool) {
	if n.Prompt == "" && required {
		c.add(f, p+".prompt", "required")
	}
	if n.Prompt != "" {
		c.template(f, p+".prompt", n.Prompt)
	}
	if n.ErrorPrompt != "" {
		c.template(f, p+".error_prompt", n.ErrorPrompt)
	}
	if n.Retries != 0 && (n.Retries < 1 || n.Retries > 10) {
		c.add(f, p+".retries", "must be between 1 and 10 (default 5)")
	}
}

func (c *checker) node(b *Bot, t *Task, n *Node, p string, intents map[string]bool, isStart bool) {
	f := t.File
	c.interruptions(f, p+".interruptions", n.Interruptions)
	switch n.Type {
	case NodeIntent:
		if n.Intent == "" {
			c.add(f, p+".intent", "required")
		} else if !intents[n.Intent] {
			c.add(f, p+".intent", "no intent named %q in bot.yaml", n.Intent)
		}
		if isStart && len(n.Transitions) > 0 {
			c.add(f, p+".transitions", "the root intent node has no conditional transitions, only next (Kore)")
		}
	case NodeEntity:
		e, ok := b.Entities[n.Entity]
		if n.Entity == "" {
			c.add(f, p+".entity", "required")
		} else if !ok {
			c.add(f, p+".entity", "no entity named %q in bot.yaml", n.Entity)
		}
		switch n.Presence {
		case "", "mandatory", "optional", "hidden":
		default:
			c.add(f, p+".presence", "must be mandatory, optional or hidden")
		}
		switch n.Precedence {
		case "", "intent", "entity":
		default:
			c.add(f, p+".precedence", "must be intent or entity")
		}
		switch n.Extraction {
		case "", "history", "prompt":
		default:
			c.add(f, p+".extraction", "must be history or prompt")
		}
		needPrompt := n.Presence != "hidden" && (e == nil || e.Prompt == "")
		c.prompt(f, p, n, needPrompt && ok)
	case NodeMessage, NodeAgentTransfer:
		if n.Type == NodeMessage && len(n.Messages) == 0 {
			c.add(f, p+".messages", "a message node needs at least one message")
		}
		for j, m := range n.Messages {
			mp := fmt.Sprintf("%s.messages[%d]", p, j)
			switch x := m.(type) {
			case string:
				c.template(f, mp, x)
			case map[string]any:
				c.messageTemplate(f, mp, x)
			default:
				c.add(f, mp, "a message is a text or a template object")
			}
		}
		if n.Type == NodeAgentTransfer && (n.Next != "" || len(n.Transitions) > 0) {
			c.add(f, p, "an agent transfer ends the dialog: it has no outgoing connections")
		}
	case NodeDialog:
		c.dialogNode(b, t, n, p)
	case NodeConfirmation:
		c.prompt(f, p, n, true)
		if n.Yes == "" || n.No == "" {
			c.add(f, p, "a confirmation needs yes and no targets")
		}
		if n.Next != "" {
			c.add(f, p+".next", "a confirmation goes on by yes, no and else")
		}
	case NodeLogic:
		if len(n.Ops) == 0 {
			c.add(f, p+".ops", "a logic node needs at least one op")
		}
		for j, op := range n.Ops {
			c.logicOp(f, fmt.Sprintf("%s.ops[%d]", p, j), op)
		}
	case NodeForm:
		if n.Form == "" {
			c.add(f, p+".form", "required")
		} else if _, ok := b.Forms[n.Form]; !ok {
			c.add(f, p+".form", "no form named %q under forms/", n.Form)
		}
		c.prompt(f, p, n, false)
		if n.SubmitMessage != "" {
			c.template(f, p+".submit_message", n.SubmitMessage)
		}
	case NodeService:
		switch n.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			c.add(f, p+".method", "must be GET, POST, PUT, PATCH or DELETE")
		}
		if n.URL == "" {
			c.add(f, p+".url", "required")
		} else {
			c.template(f, p+".url", n.URL)
		}
		for _, k := range sortedKeys(n.Headers) {
			c.template(f, p+".headers."+k, n.Headers[k])
		}
		c.anyTemplates(f, p+".body", n.Body)
		if n.Timeout != 0 && (n.Timeout < time.Second || n.Timeout > 20*time.Second) {
			c.add(f, p+".timeout", "must be between 1s and 20s (default 5s)")
		}
	case NodeScript:
		if strings.TrimSpace(n.Script) == "" {
			c.add(f, p+".script", "required")
		}
		if len(n.Script) > 64<<10 {
			c.add(f, p+".script", "longer than 64 KiB")
		}
		if n.Timeout != 0 && (n.Timeout < 10*time.Millisecond || n.Timeout > time.Second) {
			c.add(f, p+".timeout", "must be between 10ms and 1s (default 100ms)")
		}
	case NodeEnd:
		if n.Next != "" || len(n.Transitions) > 0 {
			c.add(f, p, "an end node has no outgoing connections")
		}
		for j, m := range n.Messages {
			if s, ok := m.(string); ok {
				c.template(f, fmt.Sprintf("%s.messages[%d]", p, j), s)
			}
		}
	default:
		c.add(f, p+".type", "unknown node type %q (known: %s)", n.Type, strings.Join(NodeTypes, ", "))
	}
}

func (c *checker) messageTemplate(f, p string, m map[string]any) {
	typ, _ := m["type"].(string)
	if typ == "" {
		c.add(f, p+".type", "a template object needs a type (Kore: template, image, error, message, ...)")
	}
	if typ == "template" {
		payload, _ := m["payload"].(map[string]any)
		tt, _ := payload["template_type"].(string)
		if !slices.Contains(templateTypes, tt) {
			c.add(f, p+".payload.template_type", "unknown template type %q (known: %s)", tt, strings.Join(templateTypes, ", "))
		}
	}
	c.anyTemplates(f, p, m)
}

func (c *checker) logicOp(f, p string, op LogicOp) {
	set := 0
	for _, s := range []string{op.Set, op.Delete, op.Copy} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		c.add(f, p, "needs exactly one of set, delete or copy")
		return
	}
	check := func(k, s string) {
		path, err := ParsePath(s)
		if err != nil {
			c.add(f, p+"."+k, "%v", err)
			return
		}
		if path[0] != "context" && path[0] != "entities" {
			c.add(f, p+"."+k, "only context.* and entities.* can be changed")
		}
		if len(path) >= 2 && path[0] == "context" && path[1] == "session" && len(path) >= 3 && path[2] == "UserContext" {
			c.add(f, p+"."+k, "UserContext is read-only")
		}
	}
	switch {
	case op.Set != "":
		check("set", op.Set)
		if op.Value == nil {
			c.add(f, p+".value", "required")
		}
		c.anyTemplates(f, p+".value", op.Value)
	case op.Delete != "":
		check("delete", op.Delete)
	case op.Copy != "":
		if _, err := ParsePath(op.Copy); err != nil {
			c.add(f, p+".copy", "%v", err)
		}
		if op.To == "" {
			c.add(f, p+".to", "required")
		} else {
			check("to", op.To)
		}
	}
	if op.TTL < 0 {
		c.add(f, p+".ttl", "must not be negative")
	}
}

func (c *checker) form(fm *Form) {
	f := fm.File
	if !namePattern.MatchString(fm.Name) {
		c.add(f, "name", "%q must start with a letter and hold only letters, digits and '_'", fm.Name)
	}
	if !strings.HasPrefix(fm.ID, "frm-") {
		c.add(f, "id", "%q must be frm-<id>", fm.ID)
	}
	ids, names := map[string]bool{}, map[string]bool{}
	var walk func(string, []FormComponent)
	walk = func(base string, cs []FormComponent) {
		for i := range cs {
			comp := &cs[i]
			p := fmt.Sprintf("%s[%d]", base, i)
			if !slices.Contains(FormComponentTypes, comp.Type) {
				c.add(f, p+".type", "unknown component type %q (known: %s)", comp.Type, strings.Join(FormComponentTypes, ", "))
			}
			if comp.ID == "" {
				c.add(f, p+".id", "required")
			} else if ids[comp.ID] {
				c.add(f, p+".id", "component id %q is used twice", comp.ID)
			}
			ids[comp.ID] = true
			if !namePattern.MatchString(comp.Name) {
				c.add(f, p+".name", "%q must start with a letter and hold only letters, digits and '_'", comp.Name)
			} else if names[comp.Name] {
				c.add(f, p+".name", "component name %q is used twice", comp.Name)
			}
			names[comp.Name] = true
			if v := comp.Validation; v != nil && v.Regex != "" {
				if _, err := regexp.Compile(v.Regex); err != nil {
					c.add(f, p+".validation.regex", "does not compile: %v", err)
				}
			}
			if (comp.Type == "dropdown" || comp.Type == "radio") && len(comp.Values) == 0 {
				c.add(f, p+".values", "a %s needs values", comp.Type)
			}
			if comp.Type == "section" {
				walk(p+".components", comp.Components)
			}
		}
	}
	walk("components", fm.Components)
	if len(fm.Fields()) == 0 {
		c.add(f, "components", "a form needs at least one field")
	}
}

// dialogNode checks a link to another task: the task exists, and the
// entities named by pre and post are entity nodes of it.
func (c *checker) dialogNode(b *Bot, t *Task, n *Node, p string) {
	f := t.File
	target := b.Task(n.Dialog)
	switch {
	case n.Dialog == "":
		c.add(f, p+".dialog", "required: the name of the task to start")
		return
	case target == nil:
		c.add(f, p+".dialog", "no task named %q", n.Dialog)
		return
	case target.Name == t.Name:
		c.add(f, p+".dialog", "a task cannot link to itself")
		return
	}
	entityNodes := map[string]bool{}
	for _, tn := range target.Nodes {
		if tn.Type == NodeEntity {
			entityNodes[tn.ID] = true
		}
	}
	for k, v := range n.Pre {
		if !entityNodes[k] {
			c.add(f, p+".pre."+k, "task %q has no entity node %q", n.Dialog, k)
		}
		if s, ok := v.(string); ok {
			c.template(f, p+".pre."+k, s)
		}
	}
	for k, v := range n.Post {
		if !entityNodes[v] {
			c.add(f, p+".post."+k, "task %q has no entity node %q", n.Dialog, v)
		}
	}
	if n.Return != nil && !*n.Return && (n.Next != "" || len(n.Transitions) > 0 || len(n.Post) > 0) {
		c.add(f, p, "a dialog node with return: false ends this task: it has no outgoing connections or post assignments")
	}
}
