package engine

import (
	"strconv"
	"strings"

	"github.com/parleyhq/parley/nlu/lang"
	"github.com/parleyhq/parley/services/dialog/botdef"
)

// Kore's ~amend_synonyms (reference §6).
var amendVerbs = map[string]bool{
	"amend": true, "change": true, "modify": true, "alter": true, "update": true, "replace": true,
	"make": true, "move": true, "upgrade": true, "switch": true, "correct": true,
}

// amendLead are words that may come before the verb: "no, actually, I'd
// like to change …".
var amendLead = map[string]bool{
	"no": true, "actually": true, "sorry": true, "please": true, "oh": true, "wait": true, "i": true, "i'd": true,
	"want": true, "would": true, "like": true, "to": true, "can": true, "could": true, "you": true, "let's": true,
	"lets": true, "me": true, "need": true, "hmm": true, "oops": true,
}

// amendEnabled reads the task's setting, else the bot's; amending is
// English only, as in Kore.
func (r *run) amendEnabled(t *task) bool {
	if !strings.HasPrefix(strings.ToLower(r.b.Def.Language), "en") {
		return false
	}
	if t.def.AmendEntities != nil {
		return *t.def.AmendEntities
	}
	return r.b.Def.NLU.AmendEntities
}

// amend changes an entity the user already gave while the task waits
// on another node (Kore's amend entity): "change the amount to 300", "change
// savings to current", "make the payee Mary instead of John". The entity is
// named, or found by its current value; the latest filled one wins. The
// task then runs again from the amended entity, so its transitions see the
// new value and filled entities are not asked again. It reports whether
// the utterance was an amendment.
func (r *run) amend(t *task, waiting *node, text string) bool {
	target, newText, ok := splitAmendment(text)
	if !ok {
		return false
	}
	found, foundEntity, foundValue := r.amendTarget(t, waiting, target)
	if found == nil || r.in.Extractor == nil {
		return false
	}
	m, ok := r.extractAmended(foundEntity, newText, foundValue)
	if !ok {
		return false
	}
	r.setEntity(found, m.Value)
	r.st.Active.Retries = 0
	r.walk(found.def.ID)
	return true
}

// splitAmendment cuts an amendment into the words naming what changes
// (normalised and padded with spaces) and the new value's text. It reports
// false when the utterance does not have the shape of an amendment.
func splitAmendment(text string) (target, newText string, ok bool) {
	norm := normalize(text)
	words := strings.Fields(norm)
	i := 0
	for i < len(words) && amendLead[words[i]] {
		i++
	}
	// The split is found in the lower-cased text and cut from the
	// original, so the new value keeps its punctuation ("12.50", "$300").
	orig := " " + text + " "
	lt := " " + lang.LowerKeepOffsets(text) + " "
	verb := i < len(words) && amendVerbs[words[i]]
	if k := strings.Index(lt, " instead of "); k >= 0 {
		newText, target = orig[:k], lt[k+len(" instead of "):]
	} else if k := strings.LastIndex(lt, " to "); verb && k >= 0 {
		target, newText = lt[:k], orig[k+len(" to "):]
	} else {
		return "", "", false
	}
	target = normalize(target)
	if before, after, ok := strings.Cut(" "+target+" ", " from "); ok {
		target = before + " " + after // "the payee from John": both name it
	}
	target, newText = " "+strings.Join(strings.Fields(target), " ")+" ", strings.Trim(newText, " ,;!?")
	if strings.TrimSpace(target) == "" || newText == "" {
		return "", "", false
	}
	return target, newText, true
}

// amendTarget finds the latest filled entity, other than the one being
// asked, that the target names or whose current value it mentions; it
// returns the entity's node, definition and current value, or a nil node.
func (r *run) amendTarget(t *task, waiting *node, target string) (*node, *botdef.EntityDef, any) {
	var found *node
	var foundEntity *botdef.EntityDef
	var foundValue any
	for _, nd := range t.def.Nodes {
		n := t.nodes[nd.ID]
		if n == nil || n == waiting {
			continue
		}
		e, isEntity := n.do.(*entityNode)
		if !isEntity || e.entity == nil {
			continue
		}
		v, filled := r.entity(n.def.ID)
		if !filled {
			continue
		}
		if mentions(target, n.def.ID) || mentions(target, n.def.Entity) || mentions(target, valueText(v)) {
			found, foundEntity, foundValue = n, e.entity, v
		}
	}
	return found, foundEntity, foundValue
}

// extractAmended extracts the entity's new value from newText; when that
// fails and the old value is structured, it tries again with the old
// value's currency or unit.
func (r *run) extractAmended(def *botdef.EntityDef, newText string, oldValue any) (EntityMatch, bool) {
	m, ok := r.in.Extractor.Extract(def, newText, r.in.Now)
	if old, isMap := oldValue.(map[string]any); !ok && isMap {
		// "change the amount to 300": a bare number keeps the old
		// currency or unit.
		for _, k := range []string{"code", "unit"} {
			if u, _ := old[k].(string); u != "" && !ok {
				m, ok = r.in.Extractor.Extract(def, newText+" "+u, r.in.Now)
			}
		}
	}
	return m, ok
}

// mentions reports whether the normalised phrase name ("from_account",
// "Savings") occurs as whole words in target (which is padded with
// spaces).
func mentions(target, name string) bool {
	name = normalize(strings.ReplaceAll(name, "_", " "))
	return name != "" && strings.Contains(target, " "+name+" ")
}

// valueText is how a stored entity value reads in an utterance: a list
// value or a number as the user would say it; "" for structured values
// without a single surface form.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		if a, ok := x["amount"].(float64); ok {
			return valueText(a)
		}
	}
	return ""
}
