package engine

import (
	"fmt"
	"sort"
	"strings"
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

// node is a compiled node: what every node has, and in do what its type
// made of the rest (see nodetype.go).
type node struct {
	def     *botdef.Node
	do      behaviour
	trans   []transition
	retries int
}

// Load reads the bot in dir and checks it with the compile step: a bad bot
// is refused with every problem listed as file: path: reason.
func Load(dir string) (*botdef.Bot, error) {
	def, probs, err := botdef.Read(dir)
	if err != nil {
		return nil, err
	}
	c := newCompiler(def, Options{}, true)
	c.compile()
	if probs = append(probs, c.probs...); len(probs) > 0 {
		return nil, &botdef.Error{Dir: dir, Problems: probs}
	}
	return def, nil
}

// Compile prepares a bot definition for running. It is the same step Load
// checks a bot with, and also compiles the scripts and trains the
// recognizer.
func Compile(def *botdef.Bot, o Options) (*Bot, error) {
	c := newCompiler(def, o, false)
	c.compile()
	if len(c.probs) > 0 {
		return nil, &botdef.Error{Dir: def.Dir, Problems: c.probs}
	}
	factory := o.Recognizer
	if factory == nil {
		factory = NewFallbackRecognizer
	}
	rec, err := factory(def)
	if err != nil {
		return nil, fmt.Errorf("bot %s: train intents: %w", def.ID, err)
	}
	c.bot.recognizer = rec
	return c.bot, nil
}

// compiler is one run of the compile step. It checks every part of the
// definition, reporting each problem with its file and path, and builds
// the compiled bot as it goes; each template is parsed once, for both.
type compiler struct {
	def  *botdef.Bot
	opts Options
	// checking is Load's run: scripts are not compiled (there is no
	// script runner), only checked.
	checking bool
	probs    []botdef.Problem
	bot      *Bot

	// intents are the intent names of bot.yaml; subIntentUse the ones an
	// intent node uses as a sub-intent.
	intents, subIntentUse map[string]bool
	// entityPrompts are the compiled default prompts of the bot's
	// entities.
	entityPrompts map[*botdef.EntityDef]prompts
}

func newCompiler(def *botdef.Bot, o Options, checking bool) *compiler {
	b := &Bot{
		Def: def, tasks: map[string]*task{}, byIntent: map[string]*task{},
		cancel: map[string]bool{}, cancelAll: map[string]bool{}, msgs: map[string]*botdef.Template{},
		env: map[string]string{},
	}
	return &compiler{
		def: def, opts: o, checking: checking, bot: b,
		intents: map[string]bool{}, subIntentUse: map[string]bool{}, entityPrompts: map[*botdef.EntityDef]prompts{},
	}
}

// compile runs the step over the whole bot. Problems come in the order a
// reader of the files meets them: bot.yaml, then the tasks, then the
// forms.
func (c *compiler) compile() {
	c.settings()
	c.standardResponses()
	for _, name := range sortedKeys(c.def.Entities) {
		c.entity(botYAML, "entities."+name, name, c.def.Entities[name], true)
	}
	c.declareTasks()
	for _, in := range c.def.Intents {
		c.intents[in.Name] = true
	}
	// Intent nodes say which intents are sub-intents, which the intents
	// of bot.yaml are checked against; their problems still come after
	// bot.yaml's.
	tasks := c.collect(func() {
		for i := range c.def.Tasks {
			c.task(&c.def.Tasks[i])
		}
	})
	c.intentList()
	c.probs = append(c.probs, tasks...)
	for _, name := range sortedKeys(c.def.Forms) {
		c.form(c.def.Forms[name])
	}
}

// collect returns the problems f reports instead of adding them.
func (c *compiler) collect(f func()) []botdef.Problem {
	saved := c.probs
	c.probs = nil
	f()
	got := c.probs
	c.probs = saved
	return got
}

func (c *compiler) add(file, path, format string, args ...any) {
	c.probs = append(c.probs, botdef.Problem{File: file, Path: path, Reason: fmt.Sprintf(format, args...)})
}

// template parses s; nil when it does not parse (a problem is reported).
func (c *compiler) template(file, path, s string) *botdef.Template {
	t, err := botdef.ParseTemplate(s)
	if err != nil {
		c.add(file, path, "template does not parse: %v", err)
		return nil
	}
	return t
}

// value compiles a YAML value whose strings are templates, reporting every
// string that does not parse under its own path.
func (c *compiler) value(file, path string, v any) value {
	switch x := v.(type) {
	case string:
		t := c.template(file, path, x)
		switch {
		case t == nil:
			return nil
		case t.IsLiteral():
			return litValue{x}
		}
		return tmplValue{t}
	case map[string]any:
		mv := mapValue{}
		for _, k := range sortedKeys(x) {
			mv.keys = append(mv.keys, k)
			mv.vals = append(mv.vals, c.value(file, path+"."+k, x[k]))
		}
		return mv
	case []any:
		lv := make(listValue, len(x))
		for i, e := range x {
			lv[i] = c.value(file, fmt.Sprintf("%s[%d]", path, i), e)
		}
		return lv
	case uint64:
		return litValue{float64(x)}
	case int64:
		return litValue{float64(x)}
	case int:
		return litValue{float64(x)}
	default:
		return litValue{x}
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
