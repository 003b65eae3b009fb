// Package botdef is Parley's bot definition format: a directory holding
// bot.yaml (identity, intents, standard responses, session settings) and one
// YAML file per dialog task under tasks/. Exporting a bot is copying the
// directory. Load validates everything and names the file, the path inside
// it and the reason of every problem.
package botdef

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Format is the only format version this loader reads.
const Format = "parley.bot/v1"

// Bot is a loaded, validated bot definition.
type Bot struct {
	Format   string            `yaml:"format"`
	ID       string            `yaml:"id"`
	Name     string            `yaml:"name"`
	Language string            `yaml:"language"`
	Session  SessionSettings   `yaml:"session"`
	Intents  []Intent          `yaml:"intents"`
	Messages StandardResponses `yaml:"messages"`
	// Tasks are read from tasks/*.yaml, sorted by file name.
	Tasks []Task `yaml:"-"`
	// Dir is where the bot was loaded from.
	Dir string `yaml:"-"`
}

// SessionSettings of a bot.
type SessionSettings struct {
	// IdleTimeout closes a session after inactivity (Kore: 5m to 14d,
	// default 15m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// Intent starts a task.
type Intent struct {
	Name       string   `yaml:"name"`
	Task       string   `yaml:"task"`
	Utterances []string `yaml:"utterances"`
	Patterns   []string `yaml:"patterns"`
}

// StandardResponses are the bot's fixed answers.
type StandardResponses struct {
	// Default answers an utterance no intent matches.
	Default string `yaml:"default"`
	// Greeting answers small talk greetings; empty turns greetings off.
	Greeting string `yaml:"greeting"`
}

// Task is a dialog task: a graph of nodes.
type Task struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Start string `yaml:"start"`
	Nodes []Node `yaml:"nodes"`
	// File is the task's file, relative to the bot directory.
	File string `yaml:"-"`
}

// Node is one step of a task.
type Node struct {
	ID   string `yaml:"id"`
	Type string `yaml:"type"`
	// Next is the node that follows; empty ends the task.
	Next string `yaml:"next"`

	// Message nodes: texts with {{entities.x}} and {{context.x}}.
	Text []string `yaml:"text"`

	// Entity nodes.
	Entity *EntitySpec `yaml:"entity"`
	Prompt string      `yaml:"prompt"`
	// ErrorPrompt is sent when the answer is not a valid value.
	ErrorPrompt string `yaml:"error_prompt"`
}

// EntitySpec describes the value an entity node collects.
type EntitySpec struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// Values of a list entity, each with optional synonyms.
	Values []ListValue `yaml:"values"`
}

// ListValue is one enumerated value.
type ListValue struct {
	Value    string   `yaml:"value"`
	Synonyms []string `yaml:"synonyms"`
}

// Node types known to this format version.
const (
	NodeMessage = "message"
	NodeEntity  = "entity"
)

// Entity types known to this format version.
const (
	EntityList   = "list"
	EntityString = "string"
)

var (
	botIDPattern  = regexp.MustCompile(`^st-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	nodeIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	templateRef   = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

// Problem is one validation failure.
type Problem struct {
	File, Path, Reason string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.File, p.Path, p.Reason) }

// Error lists every problem of a bot directory.
type Error struct {
	Dir      string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("bot %s is invalid:\n  %s", e.Dir, strings.Join(lines, "\n  "))
}

// Load reads and validates the bot in dir.
func Load(dir string) (*Bot, error) {
	var bot Bot
	if err := decodeFile(filepath.Join(dir, "bot.yaml"), &bot); err != nil {
		return nil, err
	}
	bot.Dir = dir
	files, err := filepath.Glob(filepath.Join(dir, "tasks", "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	sort.Strings(files)
	for _, f := range files {
		var t Task
		if err := decodeFile(f, &t); err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			rel = f
		}
		t.File = filepath.ToSlash(rel)
		bot.Tasks = append(bot.Tasks, t)
	}
	if probs := validate(&bot); len(probs) > 0 {
		return nil, &Error{Dir: dir, Problems: probs}
	}
	if bot.Session.IdleTimeout == 0 {
		bot.Session.IdleTimeout = 15 * time.Minute
	}
	return &bot, nil
}

func decodeFile(path string, out any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read bot file: %w", err)
	}
	if err := yaml.UnmarshalWithOptions(data, out, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	return nil
}

func validate(b *Bot) []Problem {
	var probs []Problem
	add := func(file, path, format string, args ...any) {
		probs = append(probs, Problem{File: file, Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	const botFile = "bot.yaml"
	if b.Format != Format {
		add(botFile, "format", "must be %q, not %q", Format, b.Format)
	}
	if !botIDPattern.MatchString(b.ID) {
		add(botFile, "id", "%q is not st-<uuid>", b.ID)
	}
	if b.Name == "" {
		add(botFile, "name", "required")
	}
	if to := b.Session.IdleTimeout; to != 0 && (to < 5*time.Minute || to > 14*24*time.Hour) {
		add(botFile, "session.idle_timeout", "must be between 5m and 336h (Kore's range)")
	}
	tasks := map[string]*Task{}
	for i := range b.Tasks {
		t := &b.Tasks[i]
		if other, dup := tasks[t.Name]; dup {
			add(t.File, "name", "task %q is also defined in %s", t.Name, other.File)
		}
		tasks[t.Name] = t
		probs = append(probs, validateTask(t)...)
	}
	for i, in := range b.Intents {
		p := fmt.Sprintf("intents[%d]", i)
		if in.Name == "" {
			add(botFile, p+".name", "required")
		}
		if _, ok := tasks[in.Task]; !ok {
			add(botFile, p+".task", "no task named %q under tasks/", in.Task)
		}
		if len(in.Utterances)+len(in.Patterns) == 0 {
			add(botFile, p, "needs at least one utterance or pattern")
		}
	}
	return probs
}

func validateTask(t *Task) []Problem {
	var probs []Problem
	add := func(path, format string, args ...any) {
		probs = append(probs, Problem{File: t.File, Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	if t.Name == "" {
		add("name", "required")
	}
	if t.ID == "" {
		add("id", "required")
	}
	nodes := map[string]int{}
	for i, n := range t.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		if !nodeIDPattern.MatchString(n.ID) {
			add(p+".id", "%q must start with a letter and hold only letters, digits and '_'", n.ID)
		}
		if _, dup := nodes[n.ID]; dup {
			add(p+".id", "node %q is defined twice", n.ID)
		}
		nodes[n.ID] = i
		switch n.Type {
		case NodeMessage:
			if len(n.Text) == 0 {
				add(p+".text", "a message node needs at least one text")
			}
			for j, txt := range n.Text {
				if err := checkTemplate(txt); err != nil {
					add(fmt.Sprintf("%s.text[%d]", p, j), "%v", err)
				}
			}
		case NodeEntity:
			switch {
			case n.Entity == nil:
				add(p+".entity", "an entity node needs an entity")
			case n.Entity.Name == "":
				add(p+".entity.name", "required")
			case n.Entity.Type != EntityList && n.Entity.Type != EntityString:
				add(p+".entity.type", "unknown entity type %q (known: list, string)", n.Entity.Type)
			case n.Entity.Type == EntityList && len(n.Entity.Values) == 0:
				add(p+".entity.values", "a list entity needs values")
			}
			if n.Prompt == "" {
				add(p+".prompt", "an entity node needs a prompt")
			}
		default:
			add(p+".type", "unknown node type %q (known: message, entity)", n.Type)
		}
	}
	if _, ok := nodes[t.Start]; !ok {
		add("start", "no node named %q", t.Start)
	}
	reached := map[string]bool{}
	for id := t.Start; id != "" && !reached[id]; {
		reached[id] = true
		i, ok := nodes[id]
		if !ok {
			break
		}
		id = t.Nodes[i].Next
	}
	for i, n := range t.Nodes {
		if n.Next != "" {
			if _, ok := nodes[n.Next]; !ok {
				add(fmt.Sprintf("nodes[%d].next", i), "no node named %q", n.Next)
			}
		}
		if !reached[n.ID] {
			add(fmt.Sprintf("nodes[%d]", i), "node %q is unreachable from %q", n.ID, t.Start)
		}
	}
	return probs
}

// checkTemplate accepts {{entities.x}} and {{context.a.b}} references.
func checkTemplate(s string) error {
	if strings.Count(s, "{{") != strings.Count(s, "}}") {
		return errors.New("unbalanced {{ }}")
	}
	for _, m := range templateRef.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "entities.") && !strings.HasPrefix(m[1], "context.") {
			return fmt.Errorf("{{%s}} must refer to entities.<name> or context.<path>", m[1])
		}
	}
	return nil
}
