package engine

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// Options of Compile.
type Options struct {
	// Recognizer builds the intent recognizer; nil uses the built-in
	// word-overlap fallback.
	Recognizer RecognizerFactory
	// Scripts compiles script nodes; nil refuses bots that have any.
	Scripts ScriptRunner
	// Env overrides the bot's environment variables.
	Env map[string]string
}

// Bot is a compiled bot: templates parsed, nodes indexed, recognizer
// trained. It is immutable and safe for concurrent use.
type Bot struct {
	Def        *botdef.Bot
	tasks      map[string]*task
	byIntent   map[string]*task
	recognizer IntentRecognizer
	cancel     map[string]bool
	cancelAll  map[string]bool
	words      compiledVocabulary
	msgs       map[string]*botdef.Template
	env        map[string]string
}

type task struct {
	def        *botdef.Task
	nodes      map[string]*node
	start      string
	subIntents map[string]string // intent → node id
	interrupt  *botdef.Interruptions
}

type node struct {
	def       *botdef.Node
	entity    *botdef.EntityDef
	prompt    *botdef.Template
	errPrompt *botdef.Template
	msgs      []value
	trans     []transition
	ops       []logicOp
	url       *botdef.Template
	headers   map[string]*botdef.Template
	body      value
	submit    *botdef.Template
	script    Script
	form      *botdef.Form
	pre       value // dialog node: the linked task's entities
	yes, no   map[string]bool
	retries   int
	timeout   time.Duration
}

type transition struct {
	conds []condition
	or    bool
	to    string
	final bool // the else branch
}

type condition struct {
	lhs      botdef.Path // entity or context
	intent   bool
	op       string
	value    any
	valuePth botdef.Path
}

type logicOp struct {
	kind  string // set, delete, copy
	path  botdef.Path
	from  botdef.Path
	value value
	ttl   time.Duration
}

// Compile prepares a validated bot for running.
func Compile(def *botdef.Bot, o Options) (*Bot, error) {
	b := &Bot{
		Def: def, tasks: map[string]*task{}, byIntent: map[string]*task{},
		cancel: map[string]bool{}, cancelAll: map[string]bool{}, msgs: map[string]*botdef.Template{},
		env: map[string]string{},
	}
	for k, v := range def.Env {
		b.env[k] = v
	}
	for k, v := range o.Env {
		b.env[k] = v
	}
	b.words = vocabularyFor(def.Language)
	for w := range b.words.cancel {
		b.cancel[w] = true
	}
	for w := range b.words.cancelAll {
		b.cancelAll[w] = true
	}
	for _, w := range def.CancelWords {
		b.cancel[normalize(w)] = true
	}
	var probs []botdef.Problem
	fail := func(file, path string, err error) {
		probs = append(probs, botdef.Problem{File: file, Path: path, Reason: err.Error()})
	}
	m := def.Messages
	for k, s := range map[string]string{
		"default": m.Default, "greeting": m.Greeting, "thanks": m.Thanks, "goodbye": m.Goodbye,
		"task_canceled": m.TaskCanceled, "all_canceled": m.AllCanceled, "nothing_to_cancel": m.NothingToCancel,
		"resume": m.Resume, "hop_limit": m.HopLimit, "failure": m.Failure, "retries_exceeded": m.RetriesExceeded,
		"did_you_mean": m.DidYouMean, "confirm_error": m.ConfirmError, "form_submitted": m.FormSubmitted,
		"form_invalid": m.FormInvalid, "agent_transfer": m.AgentTransfer, "interruption_denied": m.InterruptionDeny,
		"followup_offer": m.FollowupOffer,
	} {
		t, err := botdef.ParseTemplate(s)
		if err != nil {
			fail("bot.yaml", "messages."+k, err)
			continue
		}
		b.msgs[k] = t
	}
	for i := range def.Tasks {
		td := &def.Tasks[i]
		t := &task{def: td, nodes: map[string]*node{}, start: td.StartNode(), subIntents: map[string]string{}, interrupt: td.Interruptions}
		b.tasks[td.Name] = t
		for j := range td.Nodes {
			nd := &td.Nodes[j]
			p := fmt.Sprintf("nodes[%d]", j)
			n, err := b.compileNode(nd, o)
			if err != nil {
				fail(td.File, p, err)
				continue
			}
			t.nodes[nd.ID] = n
			if nd.Type == botdef.NodeIntent && nd.ID != t.start {
				t.subIntents[nd.Intent] = nd.ID
			}
		}
	}
	for _, in := range def.Intents {
		if in.Task != "" {
			b.byIntent[in.Name] = b.tasks[in.Task]
		}
	}
	if len(probs) > 0 {
		return nil, &botdef.Error{Dir: def.Dir, Problems: probs}
	}
	factory := o.Recognizer
	if factory == nil {
		factory = NewFallbackRecognizer
	}
	rec, err := factory(def)
	if err != nil {
		return nil, fmt.Errorf("bot %s: train intents: %w", def.ID, err)
	}
	b.recognizer = rec
	return b, nil
}

func parseOpt(s string) (*botdef.Template, error) {
	if s == "" {
		return nil, nil
	}
	return botdef.ParseTemplate(s)
}

func (b *Bot) compileNode(nd *botdef.Node, o Options) (*node, error) {
	n := &node{def: nd, retries: nd.Retries, timeout: nd.Timeout}
	if n.retries == 0 {
		n.retries = 5
	}
	var err error
	prompt, errPrompt := nd.Prompt, nd.ErrorPrompt
	if nd.Type == botdef.NodeEntity {
		n.entity = b.Def.Entities[nd.Entity]
		if n.entity == nil {
			return nil, fmt.Errorf("no entity %q", nd.Entity)
		}
		if prompt == "" {
			prompt = n.entity.Prompt
		}
		if errPrompt == "" {
			errPrompt = n.entity.ErrorPrompt
		}
	}
	if n.prompt, err = parseOpt(prompt); err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	if n.errPrompt, err = parseOpt(errPrompt); err != nil {
		return nil, fmt.Errorf("error_prompt: %w", err)
	}
	if n.submit, err = parseOpt(nd.SubmitMessage); err != nil {
		return nil, fmt.Errorf("submit_message: %w", err)
	}
	for i, m := range nd.Messages {
		v, err := compileValue(m)
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		n.msgs = append(n.msgs, v)
	}
	if nd.Next != "" {
		n.trans = append(n.trans, transition{to: nd.Next, final: true})
	}
	for i, tr := range nd.Transitions {
		if tr.Else != "" {
			n.trans = append(n.trans, transition{to: tr.Else, final: true})
			continue
		}
		ct := transition{to: tr.To, or: tr.Join == "or"}
		for j, c := range tr.If {
			cc, err := compileCondition(c)
			if err != nil {
				return nil, fmt.Errorf("transitions[%d].if[%d]: %w", i, j, err)
			}
			ct.conds = append(ct.conds, cc)
		}
		n.trans = append(n.trans, ct)
	}
	for i, op := range nd.Ops {
		lo, err := compileOp(op)
		if err != nil {
			return nil, fmt.Errorf("ops[%d]: %w", i, err)
		}
		n.ops = append(n.ops, lo)
	}
	switch nd.Type {
	case botdef.NodeDialog:
		if nd.Pre != nil {
			if n.pre, err = compileValue(map[string]any(nd.Pre)); err != nil {
				return nil, fmt.Errorf("pre: %w", err)
			}
		}
	case botdef.NodeService:
		if n.url, err = botdef.ParseTemplate(nd.URL); err != nil {
			return nil, fmt.Errorf("url: %w", err)
		}
		n.headers = map[string]*botdef.Template{}
		for k, v := range nd.Headers {
			if n.headers[k], err = botdef.ParseTemplate(v); err != nil {
				return nil, fmt.Errorf("headers.%s: %w", k, err)
			}
		}
		if nd.Body != nil {
			if n.body, err = compileValue(nd.Body); err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
		}
		if n.timeout == 0 {
			n.timeout = 5 * time.Second
		}
	case botdef.NodeScript:
		if o.Scripts == nil {
			return nil, fmt.Errorf("script nodes need a script runner")
		}
		if n.timeout == 0 {
			n.timeout = 100 * time.Millisecond
		}
		if n.script, err = o.Scripts.Compile(nd.ID, nd.Script, n.timeout); err != nil {
			return nil, fmt.Errorf("script: %w", err)
		}
	case botdef.NodeForm:
		n.form = b.Def.Forms[nd.Form]
		if n.form == nil {
			return nil, fmt.Errorf("no form %q", nd.Form)
		}
	case botdef.NodeConfirmation:
		n.yes, n.no = map[string]bool{}, map[string]bool{}
		for _, w := range nd.YesWords {
			n.yes[normalize(w)] = true
		}
		for _, w := range nd.NoWords {
			n.no[normalize(w)] = true
		}
	}
	return n, nil
}

func compileCondition(c botdef.Condition) (condition, error) {
	cc := condition{op: c.Op, value: c.Value, intent: c.Intent}
	var err error
	switch {
	case c.Entity != "":
		cc.lhs = botdef.Path{"entities", c.Entity}
	case c.Context != "":
		if cc.lhs, err = botdef.ParsePath(botdef.ContextPath(c.Context)); err != nil {
			return cc, err
		}
	}
	if c.ValueFrom != "" {
		if cc.valuePth, err = botdef.ParsePath(c.ValueFrom); err != nil {
			return cc, err
		}
	}
	return cc, nil
}

func compileOp(op botdef.LogicOp) (logicOp, error) {
	var lo logicOp
	var err error
	lo.ttl = op.TTL
	switch {
	case op.Set != "":
		lo.kind = "set"
		if lo.path, err = botdef.ParsePath(op.Set); err != nil {
			return lo, err
		}
		if lo.value, err = compileValue(op.Value); err != nil {
			return lo, err
		}
	case op.Delete != "":
		lo.kind = "delete"
		lo.path, err = botdef.ParsePath(op.Delete)
	case op.Copy != "":
		lo.kind = "copy"
		if lo.from, err = botdef.ParsePath(op.Copy); err != nil {
			return lo, err
		}
		lo.path, err = botdef.ParsePath(op.To)
	}
	return lo, err
}

// value is a compiled YAML value whose strings are templates.
type value interface {
	eval(lookup func(botdef.Path) (any, bool)) any
}

type litValue struct{ v any }
type tmplValue struct{ t *botdef.Template }
type mapValue struct {
	keys []string
	vals []value
}
type listValue []value

func (v litValue) eval(func(botdef.Path) (any, bool)) any { return v.v }

func (v tmplValue) eval(lookup func(botdef.Path) (any, bool)) any {
	if p, ok := v.t.Single(); ok {
		x, _ := lookup(p)
		return x
	}
	return v.t.Render(lookup)
}

func (v mapValue) eval(lookup func(botdef.Path) (any, bool)) any {
	m := make(map[string]any, len(v.keys))
	for i, k := range v.keys {
		m[k] = v.vals[i].eval(lookup)
	}
	return m
}

func (v listValue) eval(lookup func(botdef.Path) (any, bool)) any {
	out := make([]any, len(v))
	for i, e := range v {
		out[i] = e.eval(lookup)
	}
	return out
}

func compileValue(v any) (value, error) {
	switch x := v.(type) {
	case string:
		t, err := botdef.ParseTemplate(x)
		if err != nil {
			return nil, err
		}
		if t.IsLiteral() {
			return litValue{x}, nil
		}
		return tmplValue{t}, nil
	case map[string]any:
		mv := mapValue{}
		for k, e := range x {
			ce, err := compileValue(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			mv.keys = append(mv.keys, k)
			mv.vals = append(mv.vals, ce)
		}
		return mv, nil
	case []any:
		lv := make(listValue, len(x))
		for i, e := range x {
			ce, err := compileValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			lv[i] = ce
		}
		return lv, nil
	case uint64:
		return litValue{float64(x)}, nil
	case int64:
		return litValue{float64(x)}, nil
	case int:
		return litValue{float64(x)}, nil
	default:
		return litValue{x}, nil
	}
}

// normalize lower-cases, drops punctuation (the Spanish "¿" and "¡" too)
// and collapses spaces; a typographic apostrophe becomes "'".
func normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if r == '’' {
			r = '\''
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '\'',
			r > 127 && !isSpace(r) && !unicode.IsPunct(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\u00a0' }
