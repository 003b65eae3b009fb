package nlu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Pattern syntax: a small, documented subset of Kore's ChatScript-like
// patterns (reference §8.3), chosen so that Kore bot exports keep their
// meaning. Words are matched after the same normalisation, synonym
// substitution and stemming as the utterance, so "book" matches "booking"
// and every synonym of "book".
//
//	word        a word (or, via the bot's synonyms, any of its synonyms)
//	a_b         a compound: the words a b next to each other
//	~name       any word or phrase of the bot concept "name"
//	[a b ~c]    exactly one of the alternatives; (a|b|~c) is the same
//	{a b}       optional: one of the alternatives, or nothing
//	*           any number of words (zero or more)
//	*n          exactly n words
//	*~n         up to n words
//	<  >        start / end of the utterance
//	!word       the word does not occur anywhere after this point
//
// Consecutive elements without a wildcard between them may be separated by
// up to three other words, as in Kore; a pattern matches anywhere in the
// utterance unless anchored with < or >.

type patKind uint8

const (
	patWords patKind = iota
	patWild
	patStart
	patEnd
	patNot
)

// gapWords is Kore's allowance of unrelated words between pattern words.
const gapWords = 3

type patElem struct {
	kind     patKind
	alts     [][]string // token sequences (stems), for patWords and patNot
	optional bool
	min, max int // wildcard bounds; max < 0 means unbounded
}

type pattern struct {
	src    string
	intent int
	elems  []patElem
	// need lists, per required word element, the first tokens of its
	// alternatives: if one element has none of them in the utterance the
	// pattern cannot match, which rejects most patterns with a few lookups.
	need [][]string
}

var errEmptyPattern = errors.New("empty pattern")

// compilePattern parses src for intent using tp for word normalisation.
func compilePattern(src string, intent int, tp *textProc, concepts map[string][][]string) (pattern, error) {
	p := pattern{src: src, intent: intent}
	fields := splitPattern(src)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "<":
			p.elems = append(p.elems, patElem{kind: patStart})
		case f == ">":
			p.elems = append(p.elems, patElem{kind: patEnd})
		case f == "*":
			p.elems = append(p.elems, patElem{kind: patWild, min: 0, max: -1})
		case strings.HasPrefix(f, "*~"):
			n, err := strconv.Atoi(f[2:])
			if err != nil || n < 0 || n > 50 {
				return p, fmt.Errorf("pattern %q: bad wildcard %q", src, f)
			}
			p.elems = append(p.elems, patElem{kind: patWild, min: 0, max: n})
		case strings.HasPrefix(f, "*"):
			n, err := strconv.Atoi(f[1:])
			if err != nil || n < 0 || n > 50 {
				return p, fmt.Errorf("pattern %q: bad wildcard %q", src, f)
			}
			p.elems = append(p.elems, patElem{kind: patWild, min: n, max: n})
		case f == "[" || f == "{":
			closer := "]"
			if f == "{" {
				closer = "}"
			}
			j := i + 1
			for j < len(fields) && fields[j] != closer {
				j++
			}
			if j == len(fields) {
				return p, fmt.Errorf("pattern %q: %q is not closed", src, f)
			}
			e := patElem{kind: patWords, optional: f == "{"}
			for _, g := range fields[i+1 : j] {
				alts, err := wordAlts(g, tp, concepts)
				if err != nil {
					return p, fmt.Errorf("pattern %q: %w", src, err)
				}
				e.alts = append(e.alts, alts...)
			}
			if len(e.alts) == 0 {
				return p, fmt.Errorf("pattern %q: empty %s%s", src, f, closer)
			}
			p.elems = append(p.elems, e)
			i = j
		case f == "]" || f == "}":
			return p, fmt.Errorf("pattern %q: unbalanced %q", src, f)
		case strings.HasPrefix(f, "!"):
			alts, err := wordAlts(strings.TrimPrefix(f, "!"), tp, concepts)
			if err != nil {
				return p, fmt.Errorf("pattern %q: %w", src, err)
			}
			p.elems = append(p.elems, patElem{kind: patNot, alts: alts})
		default:
			alts, err := wordAlts(f, tp, concepts)
			if err != nil {
				return p, fmt.Errorf("pattern %q: %w", src, err)
			}
			p.elems = append(p.elems, patElem{kind: patWords, alts: alts})
		}
	}
	hasWords := false
	for _, e := range p.elems {
		if e.kind == patWords && !e.optional {
			hasWords = true
		}
	}
	if !hasWords {
		return p, fmt.Errorf("pattern %q: %w (it needs at least one required word)", src, errEmptyPattern)
	}
	for _, e := range p.elems {
		if e.kind == patWords && !e.optional {
			var firsts []string
			for _, a := range e.alts {
				firsts = append(firsts, a[0])
			}
			p.need = append(p.need, firsts)
		}
	}
	return p, nil
}

// splitPattern splits on spaces and isolates brackets; "(a|b)" is
// accepted as another spelling of "[a b]".
func splitPattern(src string) []string {
	r := strings.NewReplacer("[", " [ ", "]", " ] ", "{", " { ", "}", " } ", "(", " [ ", ")", " ] ", "|", " ")
	return strings.Fields(r.Replace(src))
}

func wordAlts(f string, tp *textProc, concepts map[string][][]string) ([][]string, error) {
	if name, ok := strings.CutPrefix(f, "~"); ok {
		c, ok := concepts[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("unknown concept ~%s", name)
		}
		return c, nil
	}
	a := tp.analyse(strings.ReplaceAll(f, "_", " "), false)
	if len(a.stems) == 0 {
		return nil, fmt.Errorf("%q has no word in it", f)
	}
	return [][]string{a.stems}, nil
}

// possible is the cheap pre-check: every required element has an
// alternative whose first token is in the utterance.
func (p *pattern) possible(present map[string]struct{}) bool {
	for _, firsts := range p.need {
		ok := false
		for _, f := range firsts {
			if _, ok = present[f]; ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// match reports whether the pattern matches the stemmed utterance.
func (p *pattern) match(toks []string) bool {
	if len(toks) > 128 { // bound the search; patterns are for short commands
		toks = toks[:128]
	}
	// memo[e][t][g] records a failed state; g is 0 (no gap) or 1 (gap allowed).
	memo := make([]bool, (len(p.elems)+1)*(len(toks)+1)*2)
	for start := 0; start <= len(toks); start++ {
		if p.step(toks, 0, start, 0, memo) {
			return true
		}
		if len(p.elems) > 0 && p.elems[0].kind == patStart {
			break
		}
	}
	return false
}

func (p *pattern) step(toks []string, ei, ti, gap int, memo []bool) bool {
	if ei == len(p.elems) {
		return true
	}
	g := 0
	if gap > 0 {
		g = 1
	}
	key := (ei*(len(toks)+1)+ti)*2 + g
	if memo[key] {
		return false
	}
	ok := p.try(toks, ei, ti, gap, memo)
	if !ok {
		memo[key] = true
	}
	return ok
}

func (p *pattern) try(toks []string, ei, ti, gap int, memo []bool) bool {
	e := p.elems[ei]
	switch e.kind {
	case patStart:
		return ti == 0 && p.step(toks, ei+1, 0, 0, memo)
	case patEnd:
		return len(toks)-ti <= gap
	case patWild:
		hi := len(toks) - ti
		if e.max >= 0 && e.max < hi {
			hi = e.max
		}
		for k := e.min; k <= hi; k++ {
			if p.step(toks, ei+1, ti+k, 0, memo) {
				return true
			}
		}
		return false
	case patNot:
		for t := ti; t < len(toks); t++ {
			for _, alt := range e.alts {
				if hasPrefixTokens(toks[t:], alt) {
					return false
				}
			}
		}
		return p.step(toks, ei+1, ti, gap, memo)
	}
	for skip := 0; skip <= gap && ti+skip < len(toks); skip++ {
		for _, alt := range e.alts {
			if hasPrefixTokens(toks[ti+skip:], alt) && p.step(toks, ei+1, ti+skip+len(alt), gapWords, memo) {
				return true
			}
		}
	}
	return e.optional && p.step(toks, ei+1, ti, gap, memo)
}

func hasPrefixTokens(toks, prefix []string) bool {
	return len(toks) >= len(prefix) && equalTokens(toks[:len(prefix)], prefix)
}
