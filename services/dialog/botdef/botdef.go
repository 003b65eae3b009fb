// Package botdef is Parley's bot definition format, parley.bot/v1: a
// directory holding bot.yaml (identity, NLU, entities, standard responses,
// session, interruption and small-talk settings), one YAML file per dialog
// task under tasks/ and one per digital form under forms/. Exporting a bot
// is copying the directory. Read decodes a directory; whether the bot makes
// sense (references, reachability, templates, ranges) is checked by the
// dialog engine's compile step, the same code that compiles it for running,
// which names the file, the path inside it and the reason of every problem.
// FORMAT.md documents the format; schema/ holds its JSON Schema for editors.
package botdef

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/parleyhq/parley/platform/logx"
)

// Format is the only format version Parley reads.
const Format = "parley.bot/v1"

// Bot is a bot definition as read from its directory.
type Bot struct {
	Format      string `yaml:"format" json:"format"`
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Language    string `yaml:"language" json:"language"`

	Session SessionSettings `yaml:"session,omitempty" json:"session,omitempty"`
	NLU     NLUSettings     `yaml:"nlu,omitempty" json:"nlu,omitempty"`
	Intents []Intent        `yaml:"intents" json:"intents"`
	// Entities are the bot's entity components by name; entity nodes refer
	// to them.
	Entities map[string]*EntityDef `yaml:"entities,omitempty" json:"entities,omitempty"`
	Messages StandardResponses     `yaml:"messages,omitempty" json:"messages,omitempty"`
	// SmallTalk answers greetings, thanks and goodbyes (default on).
	SmallTalk *bool `yaml:"small_talk,omitempty" json:"small_talk,omitempty"`
	// CancelWords are added to the built-in ones (cancel, discard, stop,
	// ...); an utterance that is exactly one of them cancels the task.
	CancelWords   []string       `yaml:"cancel_words,omitempty" json:"cancel_words,omitempty"`
	Interruptions *Interruptions `yaml:"interruptions,omitempty" json:"interruptions,omitempty"`
	// DefaultTask runs when no intent matches (Kore's Default Dialog);
	// empty answers with messages.default instead.
	DefaultTask string `yaml:"default_task,omitempty" json:"default_task,omitempty"`
	// FollowupIntents says what happens to intents the user asked for while
	// a task could not be interrupted (they are kept in
	// context.FollowupIntents either way): "" leaves them to the tasks'
	// intent conditions (Kore's default), "offer" offers them when the task
	// ends.
	FollowupIntents string `yaml:"followup_intents,omitempty" json:"followup_intents,omitempty"`
	// OnConnect is the task run when a channel connects (V2's ON_CONNECT
	// event); empty answers with messages.greeting.
	OnConnect string `yaml:"on_connect,omitempty" json:"on_connect,omitempty"`
	// Env are the bot's environment variables, {{env.NAME}} in templates;
	// the service configuration may override them.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// Privacy is what of the users' messages may reach the logs (Kore's
	// PII settings).
	Privacy PrivacySettings `yaml:"privacy,omitempty" json:"privacy,omitempty"`

	// Tasks are read from tasks/*.yaml, sorted by file name.
	Tasks []Task `yaml:"-" json:"-"`
	// Forms are read from forms/*.yaml, by form name.
	Forms map[string]*Form `yaml:"-" json:"-"`
	// Dir is where the bot was loaded from.
	Dir string `yaml:"-" json:"-"`
}

// PrivacySettings of a bot.
type PrivacySettings struct {
	// LogText is hidden (the default: only the length), redacted (emails,
	// card and phone numbers masked) or full.
	LogText logx.TextLogging `yaml:"log_text,omitempty" json:"log_text,omitempty"`
}

// SessionSettings of a bot.
type SessionSettings struct {
	// IdleTimeout closes a session after inactivity (Kore: 5m to 14d,
	// default 15m).
	IdleTimeout time.Duration `yaml:"idle_timeout,omitempty" json:"idle_timeout,omitempty"`
}

// NLUSettings tune intent recognition.
type NLUSettings struct {
	Synonyms map[string][]string `yaml:"synonyms,omitempty" json:"synonyms,omitempty"`
	Concepts map[string][]string `yaml:"concepts,omitempty" json:"concepts,omitempty"`
	// Thresholds of the ranking and resolver; zero means Kore's default
	// (definite 0.95, minimum 0.3, proximity 0.02).
	Definite  float64 `yaml:"definite,omitempty" json:"definite,omitempty"`
	Minimum   float64 `yaml:"minimum,omitempty" json:"minimum,omitempty"`
	Proximity float64 `yaml:"proximity,omitempty" json:"proximity,omitempty"`
	// MultiIntent runs several intents of one utterance in sequence ("show
	// my balance and then transfer 50 to savings"), as Kore's multi-intent
	// detection does; off by default, as in Kore.
	MultiIntent bool `yaml:"multi_intent,omitempty" json:"multi_intent,omitempty"`
	// AmendEntities lets the user change an answer already given ("change
	// the amount to 300") while a task runs, as Kore's amend entity does;
	// off by default, English only, as in Kore. A task may override it.
	AmendEntities bool `yaml:"amend_entities,omitempty" json:"amend_entities,omitempty"`
}

// Intent is something a user can ask for.
type Intent struct {
	Name string `yaml:"name" json:"name"`
	// Task the intent starts. Empty for a sub-intent, which only an intent
	// node inside a task reacts to.
	Task       string   `yaml:"task,omitempty" json:"task,omitempty"`
	Utterances []string `yaml:"utterances,omitempty" json:"utterances,omitempty"`
	Patterns   []string `yaml:"patterns,omitempty" json:"patterns,omitempty"`
}

// EntityDef is an entity component: its type and type-specific settings.
type EntityDef struct {
	Type string `yaml:"type" json:"type"`
	// Values of a list entity.
	Values []ListValue `yaml:"values,omitempty" json:"values,omitempty"`
	// Regex of a regex (custom) entity; the first group is the value.
	Regex string `yaml:"regex,omitempty" json:"regex,omitempty"`
	// UnitType and DefaultUnit of a quantity entity.
	UnitType    string `yaml:"unit_type,omitempty" json:"unit_type,omitempty"`
	DefaultUnit string `yaml:"default_unit,omitempty" json:"default_unit,omitempty"`
	// Components of a composite entity.
	Components map[string]*EntityDef `yaml:"components,omitempty" json:"components,omitempty"`
	// Prompt and ErrorPrompt are the component's defaults; nodes may
	// override them.
	Prompt      string `yaml:"prompt,omitempty" json:"prompt,omitempty"`
	ErrorPrompt string `yaml:"error_prompt,omitempty" json:"error_prompt,omitempty"`
	// Language is the bot's, set at load so that extraction reads the
	// bot language's words for numbers and dates; not part of the file.
	Language string `yaml:"-" json:"-"`
}

// ListValue is one item of a list entity.
type ListValue struct {
	Value    string   `yaml:"value" json:"value"`
	Title    string   `yaml:"title,omitempty" json:"title,omitempty"`
	Synonyms []string `yaml:"synonyms,omitempty" json:"synonyms,omitempty"`
}

// Entity types, Kore's names in lower case.
var EntityTypes = []string{
	"number", "currency", "percentage", "quantity", "date", "time", "datetime", "dateperiod",
	"email", "phone", "url", "zip", "country", "city", "personname", "list", "regex", "custom",
	"composite", "string", "description", "color", "timezone", "company", "address", "airport",
}

// StandardResponses are the bot's fixed answers. Empty ones take the
// defaults in [DefaultMessages].
type StandardResponses struct {
	Default          string `yaml:"default,omitempty" json:"default,omitempty"`
	Greeting         string `yaml:"greeting,omitempty" json:"greeting,omitempty"`
	Thanks           string `yaml:"thanks,omitempty" json:"thanks,omitempty"`
	Goodbye          string `yaml:"goodbye,omitempty" json:"goodbye,omitempty"`
	TaskCanceled     string `yaml:"task_canceled,omitempty" json:"task_canceled,omitempty"`
	AllCanceled      string `yaml:"all_canceled,omitempty" json:"all_canceled,omitempty"`
	NothingToCancel  string `yaml:"nothing_to_cancel,omitempty" json:"nothing_to_cancel,omitempty"`
	Resume           string `yaml:"resume,omitempty" json:"resume,omitempty"`
	HopLimit         string `yaml:"hop_limit,omitempty" json:"hop_limit,omitempty"`
	Failure          string `yaml:"failure,omitempty" json:"failure,omitempty"`
	RetriesExceeded  string `yaml:"retries_exceeded,omitempty" json:"retries_exceeded,omitempty"`
	DidYouMean       string `yaml:"did_you_mean,omitempty" json:"did_you_mean,omitempty"`
	ConfirmError     string `yaml:"confirm_error,omitempty" json:"confirm_error,omitempty"`
	FormSubmitted    string `yaml:"form_submitted,omitempty" json:"form_submitted,omitempty"`
	FormInvalid      string `yaml:"form_invalid,omitempty" json:"form_invalid,omitempty"`
	AgentTransfer    string `yaml:"agent_transfer,omitempty" json:"agent_transfer,omitempty"`
	InterruptionDeny string `yaml:"interruption_denied,omitempty" json:"interruption_denied,omitempty"`
	FollowupOffer    string `yaml:"followup_offer,omitempty" json:"followup_offer,omitempty"`
}

// DefaultMessages are Kore's standard responses, where Kore documents them.
var DefaultMessages = StandardResponses{
	Default:          "Sorry, I did not understand that.",
	Greeting:         "Hello! How can I help you?",
	Thanks:           "You're welcome!",
	Goodbye:          "Goodbye! Have a nice day.",
	TaskCanceled:     "OK, I have discarded the task.",
	AllCanceled:      "OK, I have discarded all tasks.",
	NothingToCancel:  "There is nothing to cancel.",
	Resume:           "Now, let's continue with {{task.name}}.",
	HopLimit:         "Sorry something went wrong and I cannot complete your request now",
	Failure:          "Sorry something went wrong and I cannot complete your request now",
	RetriesExceeded:  "Sorry, I could not understand your answer. Let us start again.",
	DidYouMean:       "Did you mean",
	ConfirmError:     "Please answer yes or no.",
	FormSubmitted:    "{{task.form}} Form is successfully submitted",
	FormInvalid:      "Please correct the form: {{task.errors}}",
	AgentTransfer:    "Let me connect you to an agent.",
	InterruptionDeny: "Let's finish {{task.name}} first.",
	FollowupOffer:    "You also asked for:",
}

// localMessages are the standard responses of the other built-in languages,
// in the same words as DefaultMessages.
var localMessages = map[string]StandardResponses{
	"es": {
		Default:          "Lo siento, no lo he entendido.",
		Greeting:         "¡Hola! ¿En qué puedo ayudarle?",
		Thanks:           "¡De nada!",
		Goodbye:          "¡Adiós! Que tenga un buen día.",
		TaskCanceled:     "De acuerdo, he descartado la tarea.",
		AllCanceled:      "De acuerdo, he descartado todas las tareas.",
		NothingToCancel:  "No hay nada que cancelar.",
		Resume:           "Sigamos ahora con {{task.name}}.",
		HopLimit:         "Lo siento, algo ha fallado y ahora no puedo completar su solicitud",
		Failure:          "Lo siento, algo ha fallado y ahora no puedo completar su solicitud",
		RetriesExceeded:  "Lo siento, no he entendido su respuesta. Empecemos de nuevo.",
		DidYouMean:       "¿Quiso decir",
		ConfirmError:     "Por favor, responda sí o no.",
		FormSubmitted:    "El formulario {{task.form}} se ha enviado correctamente",
		FormInvalid:      "Corrija el formulario: {{task.errors}}",
		AgentTransfer:    "Le paso con un agente.",
		InterruptionDeny: "Terminemos primero {{task.name}}.",
		FollowupOffer:    "También pidió:",
	},
	"fr": {
		Default:          "Désolé, je n'ai pas compris.",
		Greeting:         "Bonjour ! Comment puis-je vous aider ?",
		Thanks:           "Je vous en prie !",
		Goodbye:          "Au revoir ! Bonne journée.",
		TaskCanceled:     "D'accord, j'ai abandonné la tâche.",
		AllCanceled:      "D'accord, j'ai abandonné toutes les tâches.",
		NothingToCancel:  "Il n'y a rien à annuler.",
		Resume:           "Reprenons maintenant {{task.name}}.",
		HopLimit:         "Désolé, une erreur s'est produite et je ne peux pas traiter votre demande pour le moment",
		Failure:          "Désolé, une erreur s'est produite et je ne peux pas traiter votre demande pour le moment",
		RetriesExceeded:  "Désolé, je n'ai pas compris votre réponse. Recommençons.",
		DidYouMean:       "Vouliez-vous dire",
		ConfirmError:     "Veuillez répondre par oui ou par non.",
		FormSubmitted:    "Le formulaire {{task.form}} a bien été envoyé",
		FormInvalid:      "Veuillez corriger le formulaire : {{task.errors}}",
		AgentTransfer:    "Je vous mets en relation avec un conseiller.",
		InterruptionDeny: "Terminons d'abord {{task.name}}.",
		FollowupOffer:    "Vous avez aussi demandé :",
	},
}

// DefaultMessagesFor returns the standard responses in a bot language
// ("es-MX" is "es"); English for a language without its own.
func DefaultMessagesFor(language string) StandardResponses {
	code := strings.ToLower(language)
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	if m, ok := localMessages[code]; ok {
		return m
	}
	return DefaultMessages
}

// Interruption behaviours.
const (
	InterruptHoldResume = "hold_resume"
	InterruptDiscard    = "discard"
	InterruptDisallow   = "disallow"
)

// Resume options.
const (
	ResumeNotify = "notify"
	ResumeSilent = "silent"
)

// Interruptions say what a new intent does to the running task. The node's
// setting wins over the task's, which wins over the bot's.
type Interruptions struct {
	// Behavior: hold_resume (default), discard or disallow.
	Behavior string `yaml:"behavior,omitempty" json:"behavior,omitempty"`
	// Resume: notify (default, says messages.resume) or silent.
	Resume string `yaml:"resume,omitempty" json:"resume,omitempty"`
	// MaxOnHold caps the held-task stack (default 5); the oldest held task
	// is dropped beyond it.
	MaxOnHold int `yaml:"max_on_hold,omitempty" json:"max_on_hold,omitempty"`
}

// Task is a dialog task: a graph of nodes.
type Task struct {
	ID            string         `yaml:"id" json:"id"`
	Name          string         `yaml:"name" json:"name"`
	Description   string         `yaml:"description,omitempty" json:"description,omitempty"`
	Start         string         `yaml:"start,omitempty" json:"start,omitempty"`
	Interruptions *Interruptions `yaml:"interruptions,omitempty" json:"interruptions,omitempty"`
	// AmendEntities overrides the bot's nlu.amend_entities for this task.
	AmendEntities *bool  `yaml:"amend_entities,omitempty" json:"amend_entities,omitempty"`
	Nodes         []Node `yaml:"nodes" json:"nodes"`
	// File is the task's file, relative to the bot directory.
	File string `yaml:"-" json:"-"`
}

// Node types.
const (
	NodeIntent        = "intent"
	NodeEntity        = "entity"
	NodeMessage       = "message"
	NodeConfirmation  = "confirmation"
	NodeLogic         = "logic"
	NodeForm          = "form"
	NodeService       = "service"
	NodeScript        = "script"
	NodeAgentTransfer = "agent_transfer"
	NodeEnd           = "end"
	NodeDialog        = "dialog"
)

// NodeTypes lists every node type.
var NodeTypes = []string{NodeIntent, NodeEntity, NodeMessage, NodeConfirmation, NodeLogic, NodeForm, NodeService, NodeScript, NodeAgentTransfer, NodeEnd, NodeDialog}

// TargetEnd is the transition target that ends the dialog (Kore's "End of
// Dialog"); no node may be called so.
const TargetEnd = "end"

// Node is one step of a task. Which fields apply depends on Type.
type Node struct {
	ID   string `yaml:"id" json:"id"`
	Type string `yaml:"type" json:"type"`
	// Next is the unconditional successor; shorthand for transitions with
	// only an else. Neither means end of dialog.
	Next        string       `yaml:"next,omitempty" json:"next,omitempty"`
	Transitions []Transition `yaml:"transitions,omitempty" json:"transitions,omitempty"`
	// Interruptions override the task's settings while this node waits.
	Interruptions *Interruptions `yaml:"interruptions,omitempty" json:"interruptions,omitempty"`

	// intent: the (sub-)intent this node reacts to.
	Intent string `yaml:"intent,omitempty" json:"intent,omitempty"`

	// entity: the component, how it is collected.
	Entity string `yaml:"entity,omitempty" json:"entity,omitempty"`
	// Presence: mandatory (default), optional or hidden.
	Presence string `yaml:"presence,omitempty" json:"presence,omitempty"`
	// Default value of an optional or hidden entity.
	Default any `yaml:"default,omitempty" json:"default,omitempty"`
	// Precedence when the answer is also an intent: intent (default) or
	// entity.
	Precedence string `yaml:"precedence,omitempty" json:"precedence,omitempty"`
	// Extraction: history (default: use the words of the utterance that
	// started the task) or prompt (always ask).
	Extraction string `yaml:"extraction,omitempty" json:"extraction,omitempty"`

	// entity, confirmation and form prompts.
	Prompt      string `yaml:"prompt,omitempty" json:"prompt,omitempty"`
	ErrorPrompt string `yaml:"error_prompt,omitempty" json:"error_prompt,omitempty"`
	// Retries allowed (1 to 10, default 5) before OnRetriesExceeded.
	Retries int `yaml:"retries,omitempty" json:"retries,omitempty"`
	// OnRetriesExceeded is end (default) or a node to go to.
	OnRetriesExceeded string `yaml:"on_retries_exceeded,omitempty" json:"on_retries_exceeded,omitempty"`

	// message and agent_transfer: each item a text (string) or a Kore
	// template (object); strings inside are templates.
	Messages []any `yaml:"messages,omitempty" json:"messages,omitempty"`

	// confirmation.
	Yes         string   `yaml:"yes,omitempty" json:"yes,omitempty"`
	No          string   `yaml:"no,omitempty" json:"no,omitempty"`
	Else        string   `yaml:"else,omitempty" json:"else,omitempty"`
	YesWords    []string `yaml:"yes_words,omitempty" json:"yes_words,omitempty"`
	NoWords     []string `yaml:"no_words,omitempty" json:"no_words,omitempty"`
	ShowOptions bool     `yaml:"show_options,omitempty" json:"show_options,omitempty"`

	// logic.
	Ops []LogicOp `yaml:"ops,omitempty" json:"ops,omitempty"`

	// form.
	Form          string `yaml:"form,omitempty" json:"form,omitempty"`
	SubmitMessage string `yaml:"submit_message,omitempty" json:"submit_message,omitempty"`

	// service.
	Method  string            `yaml:"method,omitempty" json:"method,omitempty"`
	URL     string            `yaml:"url,omitempty" json:"url,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is a string template or an object sent as JSON.
	Body any `yaml:"body,omitempty" json:"body,omitempty"`
	// Timeout of a service call (1s to 20s, default 5s) or a script
	// (10ms to 1s, default 100ms).
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// OnFailure is where a failed, timed-out or non-2xx service call or a
	// failing script goes; empty ends the task as Failed.
	OnFailure string `yaml:"on_failure,omitempty" json:"on_failure,omitempty"`

	// script: JavaScript source.
	Script string `yaml:"script,omitempty" json:"script,omitempty"`

	// agent_transfer: a queue or skill for the contact centre.
	Queue string `yaml:"queue,omitempty" json:"queue,omitempty"`

	// dialog: the linked task, by name (Kore's Dialog node).
	Dialog string `yaml:"dialog,omitempty" json:"dialog,omitempty"`
	// Return: true (the default) comes back to this task when the linked
	// one is fulfilled, going on from this node's transitions; false ends
	// this task and starts the linked one.
	Return *bool `yaml:"return,omitempty" json:"return,omitempty"`
	// Pre sets entities of the linked task (by its entity node ids) before
	// it starts; strings are templates read here, null leaves one empty.
	Pre map[string]any `yaml:"pre,omitempty" json:"pre,omitempty"`
	// Post copies entities of the linked task (values: its entity node
	// ids) into this task's entities (keys) when it returns.
	Post map[string]string `yaml:"post,omitempty" json:"post,omitempty"`
}

// Transition is one branch: If conditions (joined by Join: and, the
// default, or or) lead To a node; a branch with Else is the fallback.
type Transition struct {
	If   []Condition `yaml:"if,omitempty" json:"if,omitempty"`
	Join string      `yaml:"join,omitempty" json:"join,omitempty"`
	To   string      `yaml:"to,omitempty" json:"to,omitempty"`
	Else string      `yaml:"else,omitempty" json:"else,omitempty"`
}

// Condition compares one left-hand side (an entity, a context path or the
// intent) with a value.
type Condition struct {
	Entity  string `yaml:"entity,omitempty" json:"entity,omitempty"`
	Context string `yaml:"context,omitempty" json:"context,omitempty"`
	// Intent conditions look at context.FollowupIntents (Kore), and the
	// intent of the running task: exists / contains <intent>.
	Intent bool   `yaml:"intent,omitempty" json:"intent,omitempty"`
	Op     string `yaml:"op" json:"op"`
	// Value is a literal; ValueFrom a reference (context.x, entities.y,
	// env.Z) written without braces.
	Value     any    `yaml:"value,omitempty" json:"value,omitempty"`
	ValueFrom string `yaml:"value_from,omitempty" json:"value_from,omitempty"`
}

// Operators.
var Operators = []string{"exists", "not_exists", "=", "!=", "<", ">", "<=", ">=", "contains"}

// ContextPath turns a condition's context side ("a.b" or "context.a.b")
// into a full reference.
func ContextPath(s string) string {
	if strings.HasPrefix(s, "context.") {
		return s
	}
	return "context." + s
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

// LogicOp is one step of a logic node: exactly one of Set (with Value),
// Delete or Copy (with To).
type LogicOp struct {
	Set    string `yaml:"set,omitempty" json:"set,omitempty"`
	Value  any    `yaml:"value,omitempty" json:"value,omitempty"`
	Delete string `yaml:"delete,omitempty" json:"delete,omitempty"`
	Copy   string `yaml:"copy,omitempty" json:"copy,omitempty"`
	To     string `yaml:"to,omitempty" json:"to,omitempty"`
	// TTL of a put into a session scope (context.session.X.key).
	TTL time.Duration `yaml:"ttl,omitempty" json:"ttl,omitempty"`
}

// Read decodes the bot in dir (strictly: an unknown key is an error) and
// fills in the defaults. The problems it returns are the ones only the
// directory shows (two forms of one name); the dialog engine's compile step
// (engine.Load) checks the rest and reports them together.
func Read(dir string) (*Bot, []Problem, error) {
	var bot Bot
	if err := decodeFile(filepath.Join(dir, "bot.yaml"), &bot); err != nil {
		return nil, nil, err
	}
	bot.Dir = dir
	files, err := filepath.Glob(filepath.Join(dir, "tasks", "*.yaml"))
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	sort.Strings(files)
	for _, f := range files {
		var t Task
		if err := decodeFile(f, &t); err != nil {
			return nil, nil, err
		}
		t.File = rel(dir, f)
		bot.Tasks = append(bot.Tasks, t)
	}
	forms, err := filepath.Glob(filepath.Join(dir, "forms", "*.yaml"))
	if err != nil {
		return nil, nil, fmt.Errorf("list forms of %s: %w", dir, err)
	}
	sort.Strings(forms)
	bot.Forms = map[string]*Form{}
	var probs []Problem
	for _, f := range forms {
		var fm Form
		if err := decodeFile(f, &fm); err != nil {
			return nil, nil, err
		}
		fm.File = rel(dir, f)
		if other, dup := bot.Forms[fm.Name]; dup {
			probs = append(probs, Problem{fm.File, "name", fmt.Sprintf("form %q is also defined in %s", fm.Name, other.File)})
		}
		bot.Forms[fm.Name] = &fm
	}
	// The defaults are valid values, so checking the bot after filling
	// them in finds the same problems as before.
	bot.applyDefaults()
	return &bot, probs, nil
}

func rel(dir, f string) string {
	r, err := filepath.Rel(dir, f)
	if err != nil {
		r = f
	}
	return filepath.ToSlash(r)
}

func (b *Bot) applyDefaults() {
	if b.Session.IdleTimeout == 0 {
		b.Session.IdleTimeout = 15 * time.Minute
	}
	if b.Language == "" {
		b.Language = "en"
	}
	var stamp func(e *EntityDef)
	stamp = func(e *EntityDef) {
		if e == nil {
			return
		}
		e.Language = b.Language
		for _, c := range e.Components {
			stamp(c)
		}
	}
	for _, e := range b.Entities {
		stamp(e)
	}
	m := &b.Messages
	d := DefaultMessagesFor(b.Language)
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&m.Default, d.Default}, {&m.Greeting, d.Greeting}, {&m.Thanks, d.Thanks}, {&m.Goodbye, d.Goodbye},
		{&m.TaskCanceled, d.TaskCanceled}, {&m.AllCanceled, d.AllCanceled}, {&m.NothingToCancel, d.NothingToCancel},
		{&m.Resume, d.Resume}, {&m.HopLimit, d.HopLimit}, {&m.Failure, d.Failure}, {&m.RetriesExceeded, d.RetriesExceeded},
		{&m.DidYouMean, d.DidYouMean}, {&m.ConfirmError, d.ConfirmError}, {&m.FormSubmitted, d.FormSubmitted},
		{&m.FormInvalid, d.FormInvalid}, {&m.AgentTransfer, d.AgentTransfer}, {&m.InterruptionDeny, d.InterruptionDeny},
		{&m.FollowupOffer, d.FollowupOffer},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
}

// SmallTalkOn reports whether small talk is answered.
func (b *Bot) SmallTalkOn() bool { return b.SmallTalk == nil || *b.SmallTalk }

// Task returns the task called name.
func (b *Bot) Task(name string) *Task {
	for i := range b.Tasks {
		if b.Tasks[i].Name == name {
			return &b.Tasks[i]
		}
	}
	return nil
}

// StartNode is the task's first node: Start, or the first node listed.
func (t *Task) StartNode() string {
	if t.Start != "" {
		return t.Start
	}
	if len(t.Nodes) > 0 {
		return t.Nodes[0].ID
	}
	return ""
}

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
