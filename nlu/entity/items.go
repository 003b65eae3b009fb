package entity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/parleyhq/parley/nlu/lang"
)

// phraseTokens tokenises a phrase to its normalised words.
func phraseTokens(s string) []string {
	toks := lang.SplitWords(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

// tokenClose is the list-of-items spelling tolerance: equal, or one edit
// for words of 5+ letters, two for 9+.
func tokenClose(a, b string, fuzzy bool) bool {
	if a == b {
		return true
	}
	if !fuzzy {
		return false
	}
	n := min(utf8.RuneCountInString(a), utf8.RuneCountInString(b))
	if n < 5 {
		return false
	}
	maxd := 1
	if n >= 9 {
		maxd = 2
	}
	return levenshtein.ComputeDistance(a, b) <= maxd
}

// phraseMatch is a phrase found in the tokens at [i, i+n); exact counts
// exact token matches, to prefer exact over fuzzy.
type phraseMatch struct {
	i, n, exact int
}

// findPhrase returns the best occurrence of phrase in toks.
func findPhrase(toks []lang.Token, phrase []string, fuzzy bool) (phraseMatch, bool) {
	if len(phrase) == 0 || len(phrase) > len(toks) {
		return phraseMatch{}, false
	}
	for i := 0; i+len(phrase) <= len(toks); i++ {
		ok, exact := true, 0
		for k, w := range phrase {
			if !tokenClose(toks[i+k].Text, w, fuzzy) {
				ok = false
				break
			}
			if toks[i+k].Text == w {
				exact++
			}
		}
		if ok {
			return phraseMatch{i: i, n: len(phrase), exact: exact}, true
		}
	}
	return phraseMatch{}, false
}

// extractList finds the value whose title, value or synonym occurs in
// text: longest phrase first, exact before fuzzy, leftmost.
func extractList(text string, spec Spec) (span, bool) {
	toks := lang.SplitWords(text)
	var best span
	bestN, bestExact, found := 0, 0, false
	for _, v := range spec.Values {
		val := v.Value
		if val == "" {
			val = v.Title
		}
		for _, p := range append([]string{v.Title, v.Value}, v.Synonyms...) {
			ph := phraseTokens(p)
			m, ok := findPhrase(toks, ph, !spec.NoFuzzy)
			if !ok {
				continue
			}
			start, end := toks[m.i].Start, toks[m.i+m.n-1].End
			better := !found || m.n > bestN || m.n == bestN && m.exact > bestExact ||
				m.n == bestN && m.exact == bestExact && start < best.start
			if better {
				best, bestN, bestExact, found = span{start: start, end: end, value: val}, m.n, m.exact, true
			}
		}
	}
	return best, found
}

// extractCustom applies the spec's regex; the first capture group, when
// present and matched, is the value.
func extractCustom(text string, spec Spec) (span, bool) {
	if spec.Regex == "" {
		return span{}, false
	}
	re, err := compileCached(spec.Regex)
	if err != nil {
		return span{}, false
	}
	m := re.FindStringSubmatchIndex(text)
	if m == nil {
		return span{}, false
	}
	if len(m) >= 4 && m[2] >= 0 {
		return span{start: m[2], end: m[3], value: text[m[2]:m[3]]}, true
	}
	return span{start: m[0], end: m[1], value: text[m[0]:m[1]]}, true
}

// extractString takes the whole utterance, trimmed.
func extractString(text string) (span, bool) {
	start := len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
	end := len(strings.TrimRightFunc(text, unicode.IsSpace))
	if start >= end {
		return span{}, false
	}
	return span{start: start, end: end, value: text[start:end]}, true
}

// extractComposite extracts every component; the value maps component names
// to their values and the span covers all of them. At least one component
// must be found.
func extractComposite(text string, spec Spec, ref Reference) (span, bool) {
	vals := map[string]any{}
	start, end := len(text), 0
	for name, c := range spec.Components {
		if c.Type == Composite || c.Type == Description {
			continue
		}
		m, ok := Extract(c, text, ref)
		if !ok {
			continue
		}
		vals[name] = m.Value
		start, end = min(start, m.Start), max(end, m.End)
	}
	if len(vals) == 0 {
		return span{}, false
	}
	return span{start: start, end: end, value: vals}, true
}

var nameCues = [][]string{
	{"my", "name", "is"}, {"my", "name's"}, {"name", "is"}, {"i", "am"}, {"i'm"}, {"im"}, {"this", "is"},
	{"call", "me"}, {"it's"}, {"name"}, {"named"}, {"called"},
}

var notNames = map[string]bool{
	"i": true, "i'm": true, "hi": true, "hello": true, "hey": true, "please": true, "thanks": true, "thank": true,
	"the": true, "a": true, "an": true, "and": true, "or": true, "not": true, "from": true, "to": true, "in": true,
	"looking": true, "going": true, "trying": true, "here": true, "fine": true, "good": true, "ok": true, "okay": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"january": true, "february": true, "march": true, "april": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true,
}

// extractPersonName uses cue phrases ("my name is …", "call me …") and
// otherwise a run of capitalised words that is not at the sentence start,
// Kore's capitalisation heuristic.
func extractPersonName(text string) (span, bool) {
	toks := lang.SplitWords(text)
	if s, e := cuedName(text, toks); e > s {
		return nameSpan(text, toks, s, e), true
	}
	for i := 1; i < len(toks); i++ {
		s, e := nameRun(text, toks, i, true)
		if e > s {
			return nameSpan(text, toks, s, e), true
		}
	}
	if len(toks) >= 2 { // "John Smith" alone
		if s, e := nameRun(text, toks, 0, true); e-s >= 2 {
			return nameSpan(text, toks, s, e), true
		}
	}
	return span{}, false
}

// cuedName finds the name after the first cue phrase that has one, as a
// token range (empty: none).
func cuedName(text string, toks []lang.Token) (int, int) {
	for _, cue := range nameCues {
		for i := 0; i+len(cue) < len(toks); i++ {
			if !cueAt(toks, i, cue) {
				continue
			}
			needCap := len(cue) == 1 && cue[0] != "i'm" && cue[0] != "im"
			if s, e := nameRun(text, toks, i+len(cue), needCap); e > s {
				return s, e
			}
		}
	}
	return 0, 0
}

// cueAt reports whether the words of cue start at token i.
func cueAt(toks []lang.Token, i int, cue []string) bool {
	for k, w := range cue {
		if toks[i+k].Text != w {
			return false
		}
	}
	return true
}

// nameRun is the run of up to four name words from token i: after the
// first, each is capitalised, and with needCap the first too.
func nameRun(text string, toks []lang.Token, i int, needCap bool) (int, int) {
	j := i
	for j < len(toks) && j-i < 4 {
		w := text[toks[j].Start:toks[j].End]
		r, _ := utf8.DecodeRuneInString(w)
		if notNames[toks[j].Text] || !unicode.IsLetter(r) || (needCap || j > i) && !unicode.IsUpper(r) && j > i {
			break
		}
		if needCap && !unicode.IsUpper(r) {
			break
		}
		j++
	}
	return i, j
}

// nameSpan is the name of tokens s..e-1 as it is written.
func nameSpan(text string, toks []lang.Token, s, e int) span {
	return span{start: toks[s].Start, end: toks[e-1].End, value: text[toks[s].Start:toks[e-1].End]}
}
