// Package convtest runs conversation tests: YAML files of turns, each a
// user message (or form submission) and what the bot must answer. Run plays
// them through a Parley webhook over HTTP; RunWith takes any Driver, so the
// same files replay in-process in the dialog service's own tests.
//
// A file:
//
//	name: show balance
//	user: optional-from-id        # default: a fresh id per run
//	turns:
//	  - user: show my balance
//	    bot: "Which account: Savings, Salary or Current?"
//	  - user: Salary
//	    bot:
//	      - "You have $45,000 in your Salary account."
//	      - pattern: "Let me know .*"
//	    end_of_task: true
//	    end_reason: Fulfilled
//	    completed_task_name: show balance
//	    context: {entities.account: Salary}   # in-process drivers only
//
// A bot expectation is a text (exact), {pattern: regex} (whole message),
// {contains: text}, or {template: {...}} (the template holds these keys and
// values, recursively). The list must match the reply's messages one to
// one, in order; "bot: []" expects none, an absent bot is not checked.
package convtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goccy/go-yaml"
)

// File is one conversation.
type File struct {
	Name  string `yaml:"name"`
	User  string `yaml:"user,omitempty"`
	Turns []Turn `yaml:"turns"`
	path  string
}

// Turn is one exchange.
type Turn struct {
	// User is the utterance; Form a form submission instead.
	User string    `yaml:"user,omitempty"`
	Form *FormData `yaml:"form,omitempty"`
	// NewSession starts a new session with this turn (the first turn of a
	// file always does).
	NewSession bool `yaml:"new_session,omitempty"`

	Bot               *Expect        `yaml:"bot,omitempty"`
	EndOfTask         *bool          `yaml:"end_of_task,omitempty"`
	EndReason         *string        `yaml:"end_reason,omitempty"`
	CompletedTaskID   *string        `yaml:"completed_task_id,omitempty"`
	CompletedTaskName *string        `yaml:"completed_task_name,omitempty"`
	ExpectForm        *bool          `yaml:"expect_form,omitempty"`
	Context           map[string]any `yaml:"context,omitempty"`
}

// FormData is a Kore form submission.
type FormData struct {
	FormID string      `yaml:"formId" json:"formId"`
	Data   []FormInput `yaml:"data" json:"data"`
}

// FormInput is one component value.
type FormInput struct {
	ComponentID string `yaml:"componentId" json:"componentId"`
	Input       any    `yaml:"input" json:"input"`
}

// Expect is the list of expected messages; a single item may be written
// without the list.
type Expect struct{ Items []Matcher }

// UnmarshalYAML accepts one matcher or a list.
func (e *Expect) UnmarshalYAML(unmarshal func(any) error) error {
	var list []Matcher
	if err := unmarshal(&list); err == nil {
		e.Items = list
		return nil
	}
	var one Matcher
	if err := unmarshal(&one); err != nil {
		return err
	}
	e.Items = []Matcher{one}
	return nil
}

// Matcher expects one message.
type Matcher struct {
	Text     *string
	Pattern  *regexp.Regexp
	Contains *string
	Template map[string]any
}

// UnmarshalYAML reads a text or one of pattern, contains, template.
func (m *Matcher) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		m.Text = &s
		return nil
	}
	var obj struct {
		Pattern  *string        `yaml:"pattern"`
		Contains *string        `yaml:"contains"`
		Template map[string]any `yaml:"template"`
	}
	if err := unmarshal(&obj); err != nil {
		return err
	}
	switch {
	case obj.Pattern != nil:
		re, err := regexp.Compile("^(?s:" + *obj.Pattern + ")$")
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		m.Pattern = re
	case obj.Contains != nil:
		m.Contains = obj.Contains
	case obj.Template != nil:
		m.Template = obj.Template
	default:
		return fmt.Errorf("a bot message is a text, {pattern}, {contains} or {template}")
	}
	return nil
}

func (m Matcher) String() string {
	switch {
	case m.Text != nil:
		return fmt.Sprintf("%q", *m.Text)
	case m.Pattern != nil:
		return "pattern " + m.Pattern.String()
	case m.Contains != nil:
		return fmt.Sprintf("containing %q", *m.Contains)
	}
	b, _ := json.Marshal(m.Template)
	return "template " + string(b)
}

// Match reports whether msg (a string or a template object) matches.
func (m Matcher) Match(msg any) bool {
	s, isText := msg.(string)
	switch {
	case m.Text != nil:
		return isText && s == *m.Text
	case m.Pattern != nil:
		return isText && m.Pattern.MatchString(s)
	case m.Contains != nil:
		return isText && strings.Contains(s, *m.Contains)
	case m.Template != nil:
		obj, ok := msg.(map[string]any)
		return ok && subset(normalize(m.Template), obj)
	}
	return false
}

// subset reports whether every key of want is in got with a matching value.
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			if !subset(wv, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(want, got)
	}
}

// normalize gives YAML values JSON's types (float64 numbers, []any).
func normalize(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return v
	}
	return out
}

// Reply is what the bot answered, as a driver reports it.
type Reply struct {
	// Messages are strings or template objects.
	Messages          []any
	EndOfTask         bool
	EndReason         string
	CompletedTaskID   string
	CompletedTaskName string
	Form              map[string]any
	// Context is the session's context after the turn; nil when the driver
	// cannot see it (HTTP).
	Context map[string]any
}

// Driver sends one turn of user to the bot.
type Driver interface {
	Send(ctx context.Context, user string, t Turn, newSession bool) (Reply, error)
}

// Load reads and checks test files.
func Load(files []string) ([]*File, error) {
	var out []*File
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read conversation: %w", err)
		}
		var cf File
		if err := yaml.UnmarshalWithOptions(data, &cf, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
			return nil, fmt.Errorf("%s: %s", f, yaml.FormatError(err, false, true))
		}
		if len(cf.Turns) == 0 {
			return nil, fmt.Errorf("%s: no turns", f)
		}
		for i, t := range cf.Turns {
			if (t.User == "") == (t.Form == nil) {
				return nil, fmt.Errorf("%s: turns[%d]: needs exactly one of user or form", f, i)
			}
		}
		if cf.Name == "" {
			cf.Name = filepath.Base(f)
		}
		cf.path = f
		out = append(out, &cf)
	}
	return out, nil
}

var runSeq atomic.Int64

// RunWith plays every file through d and reports to out; a conversation
// passes when all its turns do, and stops at its first failing turn.
func RunWith(ctx context.Context, d Driver, files []string, out io.Writer) (passed, failed int, err error) {
	convs, err := Load(files)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range convs {
		user := c.User
		if user == "" {
			user = fmt.Sprintf("convtest-%d-%d", time.Now().UnixNano(), runSeq.Add(1))
		}
		if problem := play(ctx, d, user, c); problem != "" {
			failed++
			fmt.Fprintf(out, "FAIL %s (%s)\n     %s\n", c.Name, c.path, strings.ReplaceAll(problem, "\n", "\n     "))
			continue
		}
		passed++
		fmt.Fprintf(out, "ok   %s\n", c.Name)
	}
	return passed, failed, nil
}

func play(ctx context.Context, d Driver, user string, c *File) string {
	for i, t := range c.Turns {
		r, err := d.Send(ctx, user, t, i == 0 || t.NewSession)
		say := t.User
		if t.Form != nil {
			say = "(form " + t.Form.FormID + ")"
		}
		if err != nil {
			return fmt.Sprintf("turn %d (%q): %v", i+1, say, err)
		}
		if p := Check(t, r); p != "" {
			return fmt.Sprintf("turn %d (%q): %s", i+1, say, p)
		}
	}
	return ""
}

// Check compares a reply with a turn's expectations; "" means it matches.
func Check(t Turn, r Reply) string {
	var problems []string
	if t.Bot != nil {
		ok := len(t.Bot.Items) == len(r.Messages)
		for i := 0; ok && i < len(t.Bot.Items); i++ {
			ok = t.Bot.Items[i].Match(r.Messages[i])
		}
		if !ok {
			want := make([]string, len(t.Bot.Items))
			for i, m := range t.Bot.Items {
				want[i] = m.String()
			}
			got, _ := json.Marshal(r.Messages)
			problems = append(problems, fmt.Sprintf("bot said %s\nwant [%s]", got, strings.Join(want, ", ")))
		}
	}
	if t.EndOfTask != nil && *t.EndOfTask != r.EndOfTask {
		problems = append(problems, fmt.Sprintf("endOfTask = %v, want %v", r.EndOfTask, *t.EndOfTask))
	}
	for _, f := range []struct {
		name string
		want *string
		got  string
	}{
		{"endReason", t.EndReason, r.EndReason},
		{"completedTaskId", t.CompletedTaskID, r.CompletedTaskID},
		{"completedTaskName", t.CompletedTaskName, r.CompletedTaskName},
	} {
		if f.want != nil && *f.want != f.got {
			problems = append(problems, fmt.Sprintf("%s = %q, want %q", f.name, f.got, *f.want))
		}
	}
	if t.ExpectForm != nil && *t.ExpectForm != (r.Form != nil) {
		problems = append(problems, fmt.Sprintf("form present = %v, want %v", r.Form != nil, *t.ExpectForm))
	}
	if len(t.Context) > 0 && r.Context != nil {
		for path, want := range t.Context {
			got, ok := lookup(r.Context, path)
			switch {
			case want == nil && ok:
				problems = append(problems, fmt.Sprintf("context.%s = %v, want it absent", path, got))
			case want != nil && !reflect.DeepEqual(normalize(want), normalize(got)):
				problems = append(problems, fmt.Sprintf("context.%s = %v, want %v", path, got, want))
			}
		}
	}
	return strings.Join(problems, "; ")
}

func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, seg := range strings.Split(strings.TrimPrefix(path, "context."), ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}
