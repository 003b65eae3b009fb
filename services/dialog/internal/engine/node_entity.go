package engine

import "github.com/parleyhq/parley/services/dialog/botdef"

func init() {
	registerNode(botdef.NodeEntity, nodeType{compile: compileEntity, answered: true})
}

// entityNode collects a value of one of the bot's entities into
// entities.<node id>: from the unused words of the utterance that started
// the task, else by asking.
type entityNode struct {
	entity *botdef.EntityDef
	prompts
}

func compileEntity(c *nodeCompiler) behaviour {
	nd := c.nd
	e, ok := c.def.Entities[nd.Entity]
	if nd.Entity == "" {
		c.add(".entity", "required")
	} else if !ok {
		c.add(".entity", "no entity named %q in bot.yaml", nd.Entity)
	}
	switch nd.Presence {
	case "", "mandatory", "optional", "hidden":
	default:
		c.add(".presence", "must be mandatory, optional or hidden")
	}
	switch nd.Precedence {
	case "", "intent", "entity":
	default:
		c.add(".precedence", "must be intent or entity")
	}
	switch nd.Extraction {
	case "", "history", "prompt":
	default:
		c.add(".extraction", "must be history or prompt")
	}
	needPrompt := nd.Presence != "hidden" && (e == nil || e.Prompt == "")
	p := c.prompts(needPrompt && ok)
	// The entity's own prompts are its nodes' defaults.
	if nd.Prompt == "" {
		p.prompt = c.entityPrompts[e].prompt
	}
	if nd.ErrorPrompt == "" {
		p.errPrompt = c.entityPrompts[e].errPrompt
	}
	return &entityNode{entity: e, prompts: p}
}

func (e *entityNode) exec(r *run, n *node) (string, bool, bool) {
	if _, filled := r.entity(n.def.ID); filled {
		return r.next(n), false, false
	}
	if n.def.Presence == "hidden" {
		if n.def.Default != nil {
			r.setEntity(n, n.def.Default)
		}
		return r.next(n), false, false
	}
	if n.def.Extraction != "prompt" && e.fromUtterance(r, n) {
		return r.next(n), false, false
	}
	return r.await(n)
}

func (e *entityNode) ask(r *run, _ *node) {
	r.say(renderOpt(e.prompt, r, ""))
}

func (e *entityNode) answer(r *run, n *node, text string) {
	m, ok := r.in.Extractor.Extract(e.entity, text, r.in.Now)
	if ok {
		r.setEntity(n, m.Value)
		r.walk(r.next(n))
		return
	}
	if n.def.Presence == "optional" {
		if n.def.Default != nil {
			r.setEntity(n, n.def.Default)
		}
		r.walk(r.next(n))
		return
	}
	if r.smallTalk(normalize(text)) {
		r.ask(n)
		return
	}
	r.retry(n, func() {
		if e.errPrompt != nil {
			r.say(e.errPrompt.Render(r.lookup))
			return
		}
		r.ask(n)
	})
}

// interruptedBy decides between the intent and the entity value: a
// definite intent wins unless the node prefers entities (string and
// description entities do by default); a probable intent wins only when
// the answer is not a valid value.
func (e *entityNode) interruptedBy(r *run, n *node, text string, rec Recognition) bool {
	prec := n.def.Precedence
	if prec == "" && (e.entity.Type == "string" || e.entity.Type == "description") {
		prec = "entity"
	}
	_, valid := r.in.Extractor.Extract(e.entity, text, r.in.Now)
	if prec == "entity" {
		return !valid
	}
	return rec.Status == StatusDefinite || !valid
}

// fromUtterance fills the entity from the unused words of the utterance
// that started the task.
func (e *entityNode) fromUtterance(r *run, n *node) bool {
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
	m, ok := r.in.Extractor.Extract(e.entity, string(text), r.in.Now)
	if !ok || e.entity.Type == "string" || e.entity.Type == "description" {
		return false
	}
	fr.Used = append(fr.Used, [2]int{m.Start, m.End})
	r.setEntity(n, m.Value)
	return true
}
