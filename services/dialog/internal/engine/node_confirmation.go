package engine

import (
	"strings"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeConfirmation, nodeType{compile: compileConfirmation, answered: true})
}

// confirmNode asks a yes/no question and goes on by yes, no or else; the
// answer is kept at entities.<node id>.
type confirmNode struct {
	prompts
	yes, no map[string]bool // the node's own yes_words and no_words
}

func compileConfirmation(c *nodeCompiler) behaviour {
	nd := c.nd
	cn := &confirmNode{prompts: c.prompts(true), yes: map[string]bool{}, no: map[string]bool{}}
	if nd.Yes == "" || nd.No == "" {
		c.add("", "a confirmation needs yes and no targets")
	}
	if nd.Next != "" {
		c.add(".next", "a confirmation goes on by yes, no and else")
	}
	for _, w := range nd.YesWords {
		cn.yes[normalize(w)] = true
	}
	for _, w := range nd.NoWords {
		cn.no[normalize(w)] = true
	}
	return cn
}

func (cn *confirmNode) exec(r *run, n *node) (string, bool, bool) { return r.await(n) }

func (cn *confirmNode) ask(r *run, n *node) {
	p := renderOpt(cn.prompt, r, "")
	if n.def.ShowOptions {
		r.out.Messages = append(r.out.Messages, Message{Template: map[string]any{
			"type": "template",
			"payload": map[string]any{"template_type": "quick_replies", "text": p, "quick_replies": []any{
				map[string]any{"content_type": "text", "title": r.b.words.yesButton, "payload": "yes"},
				map[string]any{"content_type": "text", "title": r.b.words.noButton, "payload": "no"},
			}},
		}})
	} else {
		r.say(p)
	}
}

func (cn *confirmNode) answer(r *run, n *node, text string) {
	ans := cn.yesOrNo(r.b.words, text)
	if ans != "" {
		ents, _ := r.c["entities"].(map[string]any)
		if ents != nil {
			ents[n.def.ID] = ans
		}
	}
	// Context conditions first, then yes, no, else (Kore's order).
	for _, tr := range n.trans {
		if !tr.final && r.holds(tr) {
			r.walk(tr.to)
			return
		}
	}
	switch {
	case ans == "yes":
		r.walk(n.def.Yes)
	case ans == "no":
		r.walk(n.def.No)
	case n.def.Else != "":
		r.walk(n.def.Else)
	default:
		if r.smallTalk(normalize(text)) {
			r.ask(n)
			return
		}
		r.retry(n, func() {
			r.say(renderOpt(cn.errPrompt, r, r.msg("confirm_error").Render(r.lookup)))
		})
	}
}

// interruptedBy lets an intent through only when the answer is neither
// yes nor no.
func (cn *confirmNode) interruptedBy(r *run, _ *node, text string, _ Recognition) bool {
	return cn.yesOrNo(r.b.words, text) == ""
}

// maxPhrase is the longest phrase in words.
const maxPhrase = 4

// yesOrNo reads a yes/no answer: the earliest phrase in the utterance
// wins, and at one position the longest ("of course not" is no).
func (cn *confirmNode) yesOrNo(words compiledVocabulary, text string) string {
	ws := strings.Fields(normalize(text))
	for i := range ws {
		for l := min(maxPhrase, len(ws)-i); l >= 1; l-- {
			p := strings.Join(ws[i:i+l], " ")
			isNo := words.no[p] || cn.no[p]
			isYes := words.yes[p] || cn.yes[p]
			switch {
			case isNo:
				return "no"
			case isYes:
				return "yes"
			}
		}
	}
	return ""
}
