// Package engine compiles a bot definition and runs it against one user
// turn.
//
// The compile step (Load, Compile) checks a definition and compiles it in
// one pass, naming the file, path and reason of every problem; Load is
// how a bot is validated, Compile how it is prepared for running. Each
// node type is one node_<type>.go file that registers how its nodes are
// checked and compiled and how the walker runs them (nodetype.go).
//
// A turn handles system commands (cancel, discard all), resolves the
// intent through the NLU port, holds and resumes tasks on interruptions,
// walks the task's node graph until a node needs user input, and reports
// the messages, the form and the end-of-task fields Kore's webhook
// returns.
//
// The engine keeps no state of its own: the session's context map and
// dialog State come in and are updated in place. Its only side effects go
// through ports: the service caller (service nodes) and the scope reader
// (shared variables); scope writes are returned as ScopeOps for the
// processor to apply once the turn has committed.
package engine

import (
	"context"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// End reasons, spelled as Kore documents them (contract §10, §11.9).
const (
	EndFulfilled   = "Fulfilled"
	EndCanceled    = "Canceled"
	EndFailed      = "Failed"
	EndInterrupted = "Interrupted"
)

// MaxHops bounds node transitions without user input (Kore's limit).
const MaxHops = 25

// State is the engine's part of the session.
type State struct {
	// Active is the running task, nil when none.
	Active *Frame `json:"active,omitempty"`
	// Held tasks, resumed last in, first out.
	Held []*Frame `json:"held,omitempty"`
	// LastEnded is the most recently ended task of the session.
	LastEnded *Ended `json:"lastEnded,omitempty"`
	// Choices are the intents offered by the last "did you mean".
	Choices []string `json:"choices,omitempty"`
	// Queued are the further intents of a multi-intent utterance, run in
	// order as each task before them is fulfilled.
	Queued []Queued `json:"queued,omitempty"`
}

// Queued is an intent waiting its turn, with its part of the utterance
// (entities are taken from it).
type Queued struct {
	Intent    string `json:"intent"`
	Utterance string `json:"utterance"`
}

// Frame is a task in progress.
type Frame struct {
	Task string `json:"task"`
	// Node waits for the user's input.
	Node    string `json:"node"`
	Retries int    `json:"retries,omitempty"`
	// Utterance started the task; entities are taken from its unused words.
	Utterance string   `json:"utterance,omitempty"`
	Used      [][2]int `json:"used,omitempty"`
	// Entities are the task's entity values while it is held.
	Entities map[string]any `json:"entities,omitempty"`
	// Linked marks a task waiting at a dialog node for the task it
	// started: it goes on from there when that task is fulfilled.
	Linked bool `json:"linked,omitempty"`
}

// Ended describes an ended task.
type Ended struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// FormSubmission is a digital form's submitted data.
type FormSubmission struct {
	FormID string
	// Values by component id.
	Values map[string]any
	// Order of the component ids as sent.
	Order []string
}

// Input of one turn.
type Input struct {
	Text string
	Form *FormSubmission
	// Event is a channel event instead of a message; the engine acts on
	// "ON_CONNECT" (contract §3.2).
	Event string
	// Context is the session's Kore context object; the engine updates it.
	Context map[string]any
	// State is the session's dialog state; the engine updates it.
	State *State
	Now   time.Time

	Extractor EntityExtractor
	Services  ServiceCaller
	Scopes    ScopeReader
	// Overrides are the channel's own standard responses (by message key,
	// as in bot.yaml's messages), which win over the bot's.
	Overrides map[string]*botdef.Template
}

// Message is one bot message: a text, or a Kore template object.
type Message struct {
	Text     string
	Template map[string]any
}

// FormOut is the digital form the reply carries.
type FormOut struct {
	Def  map[string]any
	Init map[string]any
}

// Handoff asks for a live agent (Agent Transfer node).
type Handoff struct {
	TaskID, TaskName, NodeID, Queue string
}

// Output of one turn.
type Output struct {
	Messages []Message
	Form     *FormOut
	// EndOfTask is true if a task ended (or was interrupted) in this turn.
	EndOfTask bool
	// LastEnded is the session's most recently ended task (nil if none).
	LastEnded *Ended
	ScopeOps  []ScopeOp
	Handoff   *Handoff
	// Errors are internal problems worth logging (a failed service call,
	// a script error); the user got a message already.
	Errors []error
}

// Run applies one turn.
func (b *Bot) Run(ctx context.Context, in Input) Output {
	if in.State == nil {
		in.State = &State{}
	}
	if in.Context == nil {
		in.Context = map[string]any{}
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Extractor == nil {
		in.Extractor = FallbackExtractor{}
	}
	r := &run{b: b, ctx: ctx, in: in, st: in.State, c: in.Context}
	r.turn()
	r.out.LastEnded = r.st.LastEnded
	held := make([]any, 0, len(r.st.Held))
	for i := len(r.st.Held) - 1; i >= 0; i-- {
		held = append(held, r.st.Held[i].Task)
	}
	r.c["onHoldTasks"] = held
	return r.out
}

// run is the state of one turn.
type run struct {
	b       *Bot
	ctx     context.Context
	in      Input
	st      *State
	c       map[string]any
	out     Output
	hops    int
	overlay map[string]scopeVal
	vars    map[string]any // {{task.*}} of standard responses
}

type scopeVal struct {
	v       any
	deleted bool
}

func (r *run) say(s string) {
	if s != "" {
		r.out.Messages = append(r.out.Messages, Message{Text: s})
	}
}

// msg is the standard response key: the channel's override, else the bot's.
func (r *run) msg(key string) *botdef.Template {
	if t := r.in.Overrides[key]; t != nil {
		return t
	}
	return r.b.msgs[key]
}

// std renders a standard response.
func (r *run) std(key string, vars map[string]any) {
	t := r.msg(key)
	if t == nil {
		return
	}
	r.vars = vars
	r.say(t.Render(r.lookup))
	r.vars = nil
}

func (r *run) turn() {
	if r.in.Event == "ON_CONNECT" {
		r.onConnect()
		return
	}
	text := trimInput(r.in.Text)
	norm := normalize(text)

	// System commands come first (reference §5).
	if r.b.cancelAll[norm] {
		if r.st.Active == nil && len(r.st.Held) == 0 {
			r.std("nothing_to_cancel", nil)
			return
		}
		r.st.Held = nil
		if r.st.Active != nil {
			r.finish(EndCanceled, false)
		}
		r.std("all_canceled", nil)
		return
	}
	if r.b.cancel[norm] {
		if r.st.Active == nil {
			r.std("nothing_to_cancel", nil)
			return
		}
		r.std("task_canceled", nil)
		r.finish(EndCanceled, true)
		return
	}

	if r.in.Form != nil && r.st.Active != nil {
		if n := r.waiting(); n != nil {
			if f, ok := n.do.(formTaker); ok {
				f.submit(r, n, r.in.Form)
				return
			}
		}
	}

	// A pending "did you mean": the user picks one of the choices.
	if choices := r.st.Choices; len(choices) > 0 {
		r.st.Choices = nil
		for _, c := range choices {
			if normalize(c) == norm {
				if t := r.b.byIntent[c]; t != nil {
					r.startTask(t, c, "")
					return
				}
			}
		}
	}

	var rec Recognition
	if norm != "" {
		rec = r.b.recognizer.Recognize(text)
	}
	if r.st.Active != nil {
		r.continueTask(text, rec)
		return
	}
	r.noTask(text, norm, rec)
}

// noTask handles an utterance when no task runs.
func (r *run) noTask(text, norm string, rec Recognition) {
	if r.b.Def.NLU.MultiIntent && r.multiIntent(text) {
		return
	}
	switch rec.Status {
	case StatusDefinite, StatusProbable:
		if t := r.b.byIntent[rec.Intent]; t != nil {
			r.startTask(t, rec.Intent, text)
			return
		}
	case StatusAmbiguous:
		var offered []string
		for _, c := range rec.Candidates {
			if r.b.byIntent[c] != nil {
				offered = append(offered, c)
			}
		}
		if len(offered) == 1 {
			r.startTask(r.b.byIntent[offered[0]], offered[0], text)
			return
		}
		if len(offered) > 1 {
			r.didYouMean(offered)
			return
		}
	}
	if r.smallTalk(norm) {
		return
	}
	if dt := r.b.Def.DefaultTask; dt != "" {
		r.startTask(r.b.tasks[dt], "", text)
		return
	}
	r.std("default", nil)
}

func (r *run) didYouMean(cands []string) { r.choices("did_you_mean", cands) }

// choices offers intents as quick replies under the standard response key;
// the user's pick starts it.
func (r *run) choices(key string, cands []string) {
	t := r.msg(key)
	qr := make([]any, len(cands))
	for i, c := range cands {
		qr[i] = map[string]any{"content_type": "text", "title": c, "payload": c}
	}
	r.out.Messages = append(r.out.Messages, Message{Template: map[string]any{
		"type": "template",
		"payload": map[string]any{
			"template_type": "quick_replies", "text": t.Render(r.lookup), "quick_replies": qr,
		},
	}})
	r.st.Choices = cands
}

// onConnect is the bot's welcome when a channel connects (V2's ON_CONNECT):
// the bot's on_connect task, else its greeting.
func (r *run) onConnect() {
	if t := r.b.tasks[r.b.Def.OnConnect]; t != nil && r.st.Active == nil {
		r.startTask(t, "", "")
		return
	}
	r.std("greeting", nil)
}

// smallTalk answers greetings, thanks and goodbyes when the bot allows it.
func (r *run) smallTalk(norm string) bool {
	if !r.b.Def.SmallTalkOn() {
		return false
	}
	switch kind := r.b.smallTalkKind(norm); kind {
	case "greeting", "thanks", "goodbye":
		r.std(kind, nil)
		return true
	}
	return false
}

// startTask begins t; utterance is where entities may already be.
func (r *run) startTask(t *task, intent, utterance string) {
	r.st.Active = &Frame{Task: t.def.Name, Node: t.start, Utterance: utterance}
	r.c["entities"] = map[string]any{}
	r.c["intent"] = map[string]any{"name": intent}
	r.c["intentType"] = "dialog"
	r.c["taskid"] = t.def.ID
	r.walk(t.start)
}

func (r *run) task() *task {
	if r.st.Active == nil {
		return nil
	}
	return r.b.tasks[r.st.Active.Task]
}

// waiting is the node the active task waits on.
func (r *run) waiting() *node {
	t := r.task()
	if t == nil {
		return nil
	}
	return t.nodes[r.st.Active.Node]
}

// finish ends the active task with reason; resume picks up a held task.
func (r *run) finish(reason string, resume bool) {
	t := r.task()
	if t != nil {
		r.st.LastEnded = &Ended{ID: t.def.ID, Name: t.def.Name, Reason: reason}
		r.out.EndOfTask = true
	}
	r.st.Active = nil
	child, _ := r.c["entities"].(map[string]any)
	delete(r.c, "entities")
	if n := len(r.st.Held); n > 0 && r.st.Held[n-1].Linked {
		parent := r.st.Held[n-1]
		r.st.Held = r.st.Held[:n-1]
		if reason == EndFulfilled && resume {
			r.returnFromLink(parent, child)
			return
		}
		// A linked task that did not end fulfilled takes its caller with
		// it: the caller cannot go on without it.
	}
	switch {
	case resume && len(r.st.Held) > 0:
		r.resume()
	case reason == EndFulfilled && resume && len(r.st.Queued) > 0:
		// Multi-intent: the next intent of the utterance.
		q := r.st.Queued[0]
		r.st.Queued = r.st.Queued[1:]
		if t := r.b.byIntent[q.Intent]; t != nil {
			r.startTask(t, q.Intent, q.Utterance)
		}
	case reason != EndFulfilled || !resume:
		r.st.Queued = nil // a failed, cancelled or handed-over task stops the sequence
	}
	if r.st.Active == nil && reason == EndFulfilled && r.b.Def.FollowupIntents == "offer" {
		r.offerFollowups()
	}
}

// addFollowup keeps an intent the user asked for while the task could not
// be interrupted, in context.FollowupIntents (Kore).
func (r *run) addFollowup(intent string) {
	list, _ := r.c["FollowupIntents"].([]any)
	for _, x := range list {
		if x == intent {
			return
		}
	}
	r.c["FollowupIntents"] = append(list, intent)
}

// offerFollowups offers the kept intents as choices and forgets them.
func (r *run) offerFollowups() {
	list, _ := r.c["FollowupIntents"].([]any)
	var offer []string
	for _, x := range list {
		if s, ok := x.(string); ok && r.b.byIntent[s] != nil {
			offer = append(offer, s)
		}
	}
	delete(r.c, "FollowupIntents")
	if len(offer) == 0 {
		return
	}
	r.choices("followup_offer", offer)
}

// resume pops the last held task and asks its waiting node again.
func (r *run) resume() {
	fr := r.st.Held[len(r.st.Held)-1]
	r.st.Held = r.st.Held[:len(r.st.Held)-1]
	t := r.b.tasks[fr.Task]
	if t == nil {
		return
	}
	ents := fr.Entities
	if ents == nil {
		ents = map[string]any{}
	}
	fr.Entities = nil
	r.st.Active = fr
	r.c["entities"] = ents
	if r.interruptions(t, t.nodes[fr.Node]).Resume != botdef.ResumeSilent {
		r.std("resume", map[string]any{"name": t.def.Name, "id": t.def.ID})
	}
	fr.Retries = 0
	if n := t.nodes[fr.Node]; n != nil {
		r.ask(n)
	}
}

// interruptions resolves the node's, task's or bot's settings.
func (r *run) interruptions(t *task, n *node) botdef.Interruptions {
	out := botdef.Interruptions{Behavior: botdef.InterruptHoldResume, Resume: botdef.ResumeNotify, MaxOnHold: 5}
	for _, s := range []*botdef.Interruptions{r.b.Def.Interruptions, t.interrupt, nodeInterrupt(n)} {
		if s == nil {
			continue
		}
		if s.Behavior != "" {
			out.Behavior = s.Behavior
		}
		if s.Resume != "" {
			out.Resume = s.Resume
		}
		if s.MaxOnHold != 0 {
			out.MaxOnHold = s.MaxOnHold
		}
	}
	return out
}

func nodeInterrupt(n *node) *botdef.Interruptions {
	if n == nil {
		return nil
	}
	return n.def.Interruptions
}

// continueTask handles the user's answer to the waiting node, unless it is
// another intent (sub-intent, interruption) or small talk.
func (r *run) continueTask(text string, rec Recognition) {
	t, n := r.task(), r.waiting()
	if t == nil || n == nil {
		r.st.Active = nil
		r.noTask(text, normalize(text), rec)
		return
	}
	intent := ""
	if rec.Status == StatusDefinite || rec.Status == StatusProbable {
		intent = rec.Intent
	}
	if id, ok := t.subIntents[intent]; ok && intent != "" {
		r.st.Active.Retries = 0
		r.c["intent"] = map[string]any{"name": intent}
		r.walk(id)
		return
	}
	if r.amendEnabled(t) && r.amend(t, n, text) {
		return
	}
	other := r.b.byIntent[intent]
	if other != nil && other != t && r.wantsInterrupt(n, text, rec) {
		set := r.interruptions(t, n)
		switch set.Behavior {
		case botdef.InterruptDisallow:
			r.addFollowup(intent)
			r.std("interruption_denied", map[string]any{"name": t.def.Name})
			r.ask(n)
			return
		case botdef.InterruptDiscard:
			r.st.LastEnded = &Ended{ID: t.def.ID, Name: t.def.Name, Reason: EndInterrupted}
			r.out.EndOfTask = true
			r.st.Active = nil
		default:
			fr := r.st.Active
			if ents, ok := r.c["entities"].(map[string]any); ok {
				fr.Entities = ents
			}
			r.st.Held = append(r.st.Held, fr)
			if over := len(r.st.Held) - set.MaxOnHold; over > 0 {
				r.st.Held = r.st.Held[over:]
			}
			r.st.LastEnded = &Ended{ID: t.def.ID, Name: t.def.Name, Reason: EndInterrupted}
			r.out.EndOfTask = true
			r.st.Active = nil
		}
		r.startTask(other, intent, text)
		return
	}
	r.input(n, text)
}

// wantsInterrupt decides between the intent and the waiting node's own
// reading of the answer; a node without one yields to the intent.
func (r *run) wantsInterrupt(n *node, text string, rec Recognition) bool {
	if in, ok := n.do.(interruptible); ok {
		return in.interruptedBy(r, n, text, rec)
	}
	return true
}

// input gives the waiting node the user's answer.
func (r *run) input(n *node, text string) {
	if w, ok := n.do.(waiter); ok {
		w.answer(r, n, text)
		return
	}
	r.walk(r.next(n))
}

// retry counts a failed answer and either re-asks or gives up.
func (r *run) retry(n *node, again func()) {
	r.st.Active.Retries++
	if r.st.Active.Retries < n.retries {
		again()
		return
	}
	r.st.Active.Retries = 0
	if to := n.def.OnRetriesExceeded; to != "" && to != botdef.TargetEnd {
		r.walk(to)
		return
	}
	r.std("retries_exceeded", nil)
	r.finish(EndFailed, true)
}

func (r *run) setEntity(n *node, v any) {
	ents, _ := r.c["entities"].(map[string]any)
	if ents == nil {
		ents = map[string]any{}
		r.c["entities"] = ents
	}
	ents[n.def.ID] = v
}

func renderOpt(t *botdef.Template, r *run, def string) string {
	if t == nil {
		return def
	}
	return t.Render(r.lookup)
}

// ask prompts for the node's input and waits.
func (r *run) ask(n *node) {
	r.st.Active.Node = n.def.ID
	if w, ok := n.do.(waiter); ok {
		w.ask(r, n)
	}
}
