package lang

import "strings"

// WithNegation is implemented by a language that can tell when an
// utterance declines what it names ("I don't want to book a flight"), so
// that such an utterance does not start the intent it describes (Kore's
// "negationIntent" elimination).
type WithNegation interface {
	// DeclinesDesire reports whether toks, the tokens of s, negate a wish
	// or a need. Punctuation in s between the negation and the verb breaks
	// the frame: "No, I want to book" is not declining.
	DeclinesDesire(s string, toks []Token) bool
}

// negationFrame describes one language's "not want" constructions: a
// negation word followed, within reach tokens, by a verb of wishing.
type negationFrame struct {
	negations map[string]bool
	desires   map[string]bool
	reach     int
}

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// maxLead is how many tokens may come before the negation ("Sorry, but I
// really don't want…"): a refusal later in the sentence ("book a flight, I
// don't want to wait") refuses something else.
const maxLead = 4

func (f negationFrame) declines(s string, toks []Token) bool {
	for i, t := range toks {
		if i > maxLead || strings.ContainsAny(s[:min(t.Start, len(s))], ",;:.!?") {
			break
		}
		if !f.negations[t.Text] {
			continue
		}
		for j := i + 1; j < len(toks) && j <= i+f.reach; j++ {
			// Split clitics share their word's span ("don't" is "do" and
			// "not" over the same bytes): there is no gap to look at.
			if gap := toks[j].Start; toks[j-1].End <= gap && gap <= len(s) && strings.ContainsAny(s[toks[j-1].End:gap], ",;:.!?¿¡") {
				break
			}
			if f.desires[toks[j].Text] {
				return true
			}
		}
	}
	return false
}

// English: "don't want", "do not need", "never wanted", "no longer need",
// "not interested", "would not like". ("no" alone is left out: "no I want
// to…" is not a refusal of what follows; "don't like" is left out too: "I
// don't like my plan" is a complaint that may well name the intent.)
var englishNegation = negationFrame{
	negations: words("not", "never", "dont", "didnt", "doesnt", "wont", "longer"),
	desires:   words("want", "wants", "wanted", "wanna", "need", "needs", "needed", "wish", "intend", "interested"),
	reach:     3,
}

// DeclinesDesire implements [WithNegation].
func (English) DeclinesDesire(s string, toks []Token) bool {
	if englishNegation.declines(s, toks) {
		return true
	}
	for i := 2; i < len(toks) && i <= maxLead+2; i++ { // "would not like", "wouldn't like"
		if toks[i].Text == "like" && toks[i-1].Text == "not" && toks[i-2].Text == "would" {
			return true
		}
	}
	return false
}

// Spanish: "no quiero", "no necesito", "ya no quiero", "nunca quise", "no me
// gustaría".
var spanishNegation = negationFrame{
	negations: words("no", "nunca", "jamás", "jamas"),
	desires: words("quiero", "quiere", "queremos", "quisiera", "quise", "necesito", "necesita", "necesitamos",
		"deseo", "desea", "gustaría", "gustaria", "interesa"),
	reach: 2,
}

// DeclinesDesire implements [WithNegation].
func (Spanish) DeclinesDesire(s string, toks []Token) bool { return spanishNegation.declines(s, toks) }

// French: "je ne veux pas", "je n'ai pas besoin", "je ne souhaite plus",
// "pas envie". The tokenizer has already turned "n'" into "ne".
var frenchNegation = negationFrame{
	negations: words("ne", "pas"),
	desires: words("veux", "veut", "voulons", "voulez", "voudrais", "voudrions", "souhaite", "souhaitons",
		"souhaiterais", "désire", "besoin", "envie"),
	reach: 3,
}

// DeclinesDesire implements [WithNegation].
func (French) DeclinesDesire(s string, toks []Token) bool { return frenchNegation.declines(s, toks) }
