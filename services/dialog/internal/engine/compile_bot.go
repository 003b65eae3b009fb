package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// The compile step's bot-wide parts: bot.yaml's settings, standard
// responses, entities and intents, the task list and the forms.

const botYAML = "bot.yaml"

var (
	botIDPattern    = regexp.MustCompile(`^st-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2}(-[A-Za-z]{2})?$`)
	namePattern     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// settings checks bot.yaml's identity and settings and builds the bot's
// environment and built-in words.
func (c *compiler) settings() {
	b := c.def
	if b.Format != botdef.Format {
		c.add(botYAML, "format", "must be %q, not %q", botdef.Format, b.Format)
	}
	if !botIDPattern.MatchString(b.ID) {
		c.add(botYAML, "id", "%q is not st-<uuid>", b.ID)
	}
	if b.Name == "" {
		c.add(botYAML, "name", "required")
	}
	if b.Language != "" && !languagePattern.MatchString(b.Language) {
		c.add(botYAML, "language", "%q is not a language code such as en or en-US", b.Language)
	}
	if !b.Privacy.LogText.Valid() {
		c.add(botYAML, "privacy.log_text", "must be hidden, redacted or full")
	}
	if to := b.Session.IdleTimeout; to != 0 && (to < 5*time.Minute || to > 14*24*time.Hour) {
		c.add(botYAML, "session.idle_timeout", "must be between 5m and 336h (Kore's range)")
	}
	n := b.NLU
	if n.Minimum < 0 || n.Minimum > 1 || n.Definite < 0 || n.Definite > 1 {
		c.add(botYAML, "nlu", "thresholds must be between 0 and 1")
	}
	if n.Proximity < 0 || n.Proximity > 0.2 {
		c.add(botYAML, "nlu.proximity", "must be between 0 and 0.2 (Kore's range)")
	}
	c.interruptions(botYAML, "interruptions", b.Interruptions)
	if b.OnConnect != "" && b.Task(b.OnConnect) == nil {
		c.add(botYAML, "on_connect", "no task named %q", b.OnConnect)
	}
	if f := b.FollowupIntents; f != "" && f != "offer" {
		c.add(botYAML, "followup_intents", "must be empty or \"offer\", not %q", f)
	}
	c.vocabulary()
	for _, k := range sortedKeys(b.Env) {
		if !namePattern.MatchString(k) {
			c.add(botYAML, "env."+k, "variable names hold letters, digits and '_'")
		}
	}
	for k, v := range b.Env {
		c.bot.env[k] = v
	}
	for k, v := range c.opts.Env {
		c.bot.env[k] = v
	}
}

// vocabulary builds the built-in words of the bot's language and adds
// the bot's cancel words.
func (c *compiler) vocabulary() {
	b := c.bot
	b.words = vocabularyFor(c.def.Language)
	for w := range b.words.cancel {
		b.cancel[w] = true
	}
	for w := range b.words.cancelAll {
		b.cancelAll[w] = true
	}
	for i, w := range c.def.CancelWords {
		if strings.TrimSpace(w) == "" {
			c.add(botYAML, fmt.Sprintf("cancel_words[%d]", i), "empty")
		}
		b.cancel[normalize(w)] = true
	}
}

// standardResponses compiles bot.yaml's messages.
func (c *compiler) standardResponses() {
	m := c.def.Messages
	for _, f := range []struct{ k, v string }{
		{"default", m.Default}, {"greeting", m.Greeting}, {"thanks", m.Thanks}, {"goodbye", m.Goodbye},
		{"task_canceled", m.TaskCanceled}, {"all_canceled", m.AllCanceled}, {"resume", m.Resume},
		{"hop_limit", m.HopLimit}, {"failure", m.Failure}, {"retries_exceeded", m.RetriesExceeded},
		{"did_you_mean", m.DidYouMean}, {"confirm_error", m.ConfirmError}, {"form_submitted", m.FormSubmitted},
		{"form_invalid", m.FormInvalid}, {"agent_transfer", m.AgentTransfer}, {"interruption_denied", m.InterruptionDeny},
		{"nothing_to_cancel", m.NothingToCancel}, {"followup_offer", m.FollowupOffer},
	} {
		if t := c.template(botYAML, "messages."+f.k, f.v); t != nil {
			c.bot.msgs[f.k] = t
		}
	}
}

func (c *compiler) interruptions(file, path string, in *botdef.Interruptions) {
	if in == nil {
		return
	}
	switch in.Behavior {
	case "", botdef.InterruptHoldResume, botdef.InterruptDiscard, botdef.InterruptDisallow:
	default:
		c.add(file, path+".behavior", "unknown behaviour %q (known: hold_resume, discard, disallow)", in.Behavior)
	}
	switch in.Resume {
	case "", botdef.ResumeNotify, botdef.ResumeSilent:
	default:
		c.add(file, path+".resume", "unknown resume option %q (known: notify, silent)", in.Resume)
	}
	if in.MaxOnHold < 0 || in.MaxOnHold > 20 {
		c.add(file, path+".max_on_hold", "must be between 1 and 20")
	}
}

// entity checks an entity component and compiles its default prompts.
func (c *compiler) entity(file, path, name string, e *botdef.EntityDef, top bool) {
	if top && !namePattern.MatchString(name) {
		c.add(file, path, "entity name %q must start with a letter and hold only letters, digits and '_' (no spaces)", name)
	}
	if e == nil {
		c.add(file, path, "empty entity")
		return
	}
	if !slices.Contains(botdef.EntityTypes, e.Type) {
		c.add(file, path+".type", "entity type %q does not exist (known: %s)", e.Type, strings.Join(botdef.EntityTypes, ", "))
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
	var p prompts
	if e.Prompt != "" {
		p.prompt = c.template(file, path+".prompt", e.Prompt)
	}
	if e.ErrorPrompt != "" {
		p.errPrompt = c.template(file, path+".error_prompt", e.ErrorPrompt)
	}
	c.entityPrompts[e] = p
}

// declareTasks checks that task names and ids are unique.
func (c *compiler) declareTasks() {
	names := map[string]*botdef.Task{}
	ids := map[string]*botdef.Task{}
	for i := range c.def.Tasks {
		t := &c.def.Tasks[i]
		if other, dup := names[t.Name]; dup && t.Name != "" {
			c.add(t.File, "name", "task %q is also defined in %s", t.Name, other.File)
		}
		if other, dup := ids[t.ID]; dup && t.ID != "" {
			c.add(t.File, "id", "task id %q is also used by %s", t.ID, other.File)
		}
		names[t.Name], ids[t.ID] = t, t
	}
}

// intentList checks bot.yaml's intents and default task against the
// compiled tasks, and indexes the tasks by intent.
func (c *compiler) intentList() {
	seen := map[string]bool{}
	for i, in := range c.def.Intents {
		p := fmt.Sprintf("intents[%d]", i)
		if in.Name == "" {
			c.add(botYAML, p+".name", "required")
		}
		if seen[in.Name] {
			c.add(botYAML, p+".name", "intent %q is defined twice", in.Name)
		}
		seen[in.Name] = true
		if in.Task == "" {
			if !c.subIntentUse[in.Name] {
				c.add(botYAML, p+".task", "intent %q has no task and no intent node uses it as a sub-intent", in.Name)
			}
		} else if _, ok := c.bot.tasks[in.Task]; !ok {
			c.add(botYAML, p+".task", "no task named %q under tasks/", in.Task)
		}
		if len(in.Utterances)+len(in.Patterns) == 0 {
			c.add(botYAML, p, "needs at least one utterance or pattern")
		}
		for j, u := range in.Utterances {
			if len(u) > 3000 {
				c.add(botYAML, fmt.Sprintf("%s.utterances[%d]", p, j), "longer than 3000 characters (Kore's limit)")
			}
		}
		if in.Task != "" {
			c.bot.byIntent[in.Name] = c.bot.tasks[in.Task]
		}
	}
	if c.def.DefaultTask != "" {
		if _, ok := c.bot.tasks[c.def.DefaultTask]; !ok {
			c.add(botYAML, "default_task", "no task named %q under tasks/", c.def.DefaultTask)
		}
	}
}

// form checks a digital form.
func (c *compiler) form(fm *botdef.Form) {
	f := fm.File
	if !namePattern.MatchString(fm.Name) {
		c.add(f, "name", "%q must start with a letter and hold only letters, digits and '_'", fm.Name)
	}
	if !strings.HasPrefix(fm.ID, "frm-") {
		c.add(f, "id", "%q must be frm-<id>", fm.ID)
	}
	c.formComponents(f, "components", fm.Components, formNames{ids: map[string]bool{}, names: map[string]bool{}})
	if len(fm.Fields()) == 0 {
		c.add(f, "components", "a form needs at least one field")
	}
}

// formNames are the component ids and names already used in one form.
type formNames struct {
	ids, names map[string]bool
}

// formComponents checks the components listed at base in file f, and
// those of each section within, in order.
func (c *compiler) formComponents(f, base string, cs []botdef.FormComponent, used formNames) {
	for i := range cs {
		comp := &cs[i]
		p := fmt.Sprintf("%s[%d]", base, i)
		c.formComponent(f, p, comp, used)
		if comp.Type == "section" {
			c.formComponents(f, p+".components", comp.Components, used)
		}
	}
}

// formComponent checks one component at path p, without the components of
// a section, and records its id and name as used.
func (c *compiler) formComponent(f, p string, comp *botdef.FormComponent, used formNames) {
	if !slices.Contains(botdef.FormComponentTypes, comp.Type) {
		c.add(f, p+".type", "unknown component type %q (known: %s)", comp.Type, strings.Join(botdef.FormComponentTypes, ", "))
	}
	if comp.ID == "" {
		c.add(f, p+".id", "required")
	} else if used.ids[comp.ID] {
		c.add(f, p+".id", "component id %q is used twice", comp.ID)
	}
	used.ids[comp.ID] = true
	if !namePattern.MatchString(comp.Name) {
		c.add(f, p+".name", "%q must start with a letter and hold only letters, digits and '_'", comp.Name)
	} else if used.names[comp.Name] {
		c.add(f, p+".name", "component name %q is used twice", comp.Name)
	}
	used.names[comp.Name] = true
	if v := comp.Validation; v != nil && v.Regex != "" {
		if _, err := regexp.Compile(v.Regex); err != nil {
			c.add(f, p+".validation.regex", "does not compile: %v", err)
		}
	}
	if (comp.Type == "dropdown" || comp.Type == "radio") && len(comp.Values) == 0 {
		c.add(f, p+".values", "a %s needs values", comp.Type)
	}
}
