package nlu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Pattern syntax: Kore's ChatScript-like patterns (reference §8.3), so that
// Kore bot exports keep their meaning. Words are matched after the same
// normalisation, synonym substitution and stemming as the utterance, so
// "book" matches "booking" and every synonym of "book".
//
//	word        a word (or, via the bot's synonyms, any of its synonyms)
//	a_b         a compound: the words a b next to each other
//	_word       the word (Kore's "do not mark as used" has no effect here)
//	'word       the word as written: no stemming
//	~name       any word or phrase of the bot concept "name"
//	word~name   the word, which must be a member of the bot concept "name"
//	            (a concept the bot does not define, such as a system
//	            concept, is not checked)
//	[a b ~c]    exactly one of the alternatives
//	{a b}       optional: one of the alternatives, or nothing
//	(a b)       a sub-pattern: a b in order, as an element or an alternative
//	            inside [ ] or { }; (a|b) is read as [a b]
//	<< a b >>   every element somewhere in the utterance, in any order
//	*           any number of words (zero or more)
//	*n          exactly n words (*0: none)
//	*~n         up to n words
//	<  >        start / end of the utterance
//	!word       the word does not occur anywhere after this point
//	!!word      the word is not the next one
//
// Consecutive elements without a wildcard between them may be separated by
// up to three other words, as in Kore; a pattern matches anywhere in the
// utterance unless anchored with < or >.
//
// A pattern compiles to one or more flat variants (a sub-pattern inside a
// choice becomes its own variant), each matched by a memoised search over
// (element, token, gap allowed), so matching stays polynomial whatever the
// pattern.

type patKind uint8

const (
	patWords patKind = iota
	patWild
	patStart
	patEnd
	patNot
	patNotNext
	patAnyOrder
)

// gapWords is Kore's allowance of unrelated words between pattern words.
const gapWords = 3

// maxVariants bounds the expansion of sub-patterns inside choices.
const maxVariants = 64

type patAlt struct {
	toks    []string // consecutive tokens: stems, or raw words when literal
	literal bool
}

type patElem struct {
	kind     patKind
	alts     []patAlt // patWords, patNot, patNotNext
	optional bool
	min, max int             // wildcard bounds; max < 0 means unbounded
	items    [][]flatPattern // patAnyOrder: each item's variants
}

// flatPattern is one variant: elements in order.
type flatPattern struct {
	elems []patElem
	// need lists, per required word element, the first stems of its
	// alternatives: if one element has none of them in the utterance the
	// variant cannot match, which rejects most patterns with a few lookups.
	need [][]string
}

type pattern struct {
	src      string
	intent   int
	variants []flatPattern
}

var errEmptyPattern = errors.New("empty pattern")

// compilePattern parses src for intent using tp for word normalisation.
func compilePattern(src string, intent int, tp *textProc, concepts map[string][][]string) (pattern, error) {
	p := pattern{src: src, intent: intent}
	ps := &patParser{toks: splitPattern(src)}
	tree, err := ps.sequence("")
	if err != nil {
		return p, fmt.Errorf("pattern %q: %w", src, err)
	}
	c := patCompiler{tp: tp, concepts: concepts}
	variants, err := c.expand(tree)
	if err != nil {
		return p, fmt.Errorf("pattern %q: %w", src, err)
	}
	for _, elems := range variants {
		fp := flatPattern{elems: elems}
		if !fp.hasRequired() {
			return p, fmt.Errorf("pattern %q: %w (it needs at least one required word)", src, errEmptyPattern)
		}
		fp.need = needs(elems)
		p.variants = append(p.variants, fp)
	}
	return p, nil
}

// splitPattern isolates the brackets and operators of src.
func splitPattern(src string) []string {
	r := strings.NewReplacer("<<", " << ", ">>", " >> ", "[", " [ ", "]", " ] ", "{", " { ", "}", " } ",
		"(", " ( ", ")", " ) ", "|", " | ")
	return strings.Fields(r.Replace(src))
}

// patNode is the parsed pattern before expansion.
type patNode struct {
	kind     patKind // patWords with atom or group, or another kind
	atom     string
	group    []patNode // a ( ) sub-pattern, or the items of << >>
	isGroup  bool
	choice   []patNode // [ ] or { } alternatives (atoms or groups)
	isChoice bool
	optional bool
	min, max int
}

type patParser struct {
	toks []string
	i    int
}

// sequence parses nodes until closer ("" for the end of the pattern).
func (ps *patParser) sequence(closer string) ([]patNode, error) {
	var out []patNode
	for ps.i < len(ps.toks) {
		n, end, err := ps.item(closer)
		if err != nil {
			return nil, err
		}
		if end {
			return out, nil
		}
		out = append(out, n)
	}
	if closer != "" {
		return nil, fmt.Errorf("%q is missing", closer)
	}
	return out, nil
}

// item parses one element; end reports that it read closer instead.
func (ps *patParser) item(closer string) (n patNode, end bool, err error) {
	f := ps.toks[ps.i]
	ps.i++
	switch {
	case f == closer:
		return n, true, nil
	case f == "]" || f == "}" || f == ")" || f == ">>" || f == "|":
		return n, false, fmt.Errorf("unbalanced %q", f)
	case f == "<":
		return patNode{kind: patStart}, false, nil
	case f == ">":
		return patNode{kind: patEnd}, false, nil
	case strings.HasPrefix(f, "*"):
		n, err := wildcard(f)
		return n, false, err
	case f == "[" || f == "{":
		closer := map[string]string{"[": "]", "{": "}"}[f]
		alts, err := ps.choices(closer)
		if err != nil {
			return n, false, err
		}
		if len(alts) == 0 {
			return n, false, fmt.Errorf("empty %s%s", f, closer)
		}
		return patNode{kind: patWords, choice: alts, isChoice: true, optional: f == "{"}, false, nil
	case f == "(":
		n, err := ps.group()
		return n, false, err
	case f == "<<":
		items, err := ps.sequence(">>")
		if err != nil {
			return n, false, err
		}
		if len(items) == 0 {
			return n, false, errors.New("empty << >>")
		}
		for _, it := range items {
			if it.kind != patWords {
				return n, false, errors.New("<< >> holds words, choices and sub-patterns only")
			}
		}
		return patNode{kind: patAnyOrder, group: items}, false, nil
	case strings.HasPrefix(f, "!!"):
		return patNode{kind: patNotNext, atom: f[2:]}, false, nil
	case strings.HasPrefix(f, "!"):
		return patNode{kind: patNot, atom: f[1:]}, false, nil
	}
	return patNode{kind: patWords, atom: f}, false, nil
}

// choices parses the alternatives of [ ] or { } up to closer.
func (ps *patParser) choices(closer string) ([]patNode, error) {
	var alts []patNode
	for ps.i < len(ps.toks) {
		f := ps.toks[ps.i]
		switch {
		case f == closer:
			ps.i++
			return alts, nil
		case f == "|": // "[a|b]" reads as "[a b]"
			ps.i++
		case f == "(" || (f != "[" && f != "{" && f != "<<" && f != "<" && f != ">" && !strings.HasPrefix(f, "*") && !strings.HasPrefix(f, "!")):
			n, _, err := ps.item(closer)
			if err != nil {
				return nil, err
			}
			alts = append(alts, n)
		default:
			return nil, fmt.Errorf("%q cannot be an alternative (use a ( ) sub-pattern)", f)
		}
	}
	return nil, fmt.Errorf("%q is missing", closer)
}

// group parses after "(": a sub-pattern, or with "|" at its top level a
// choice whose alternatives are atoms or sequences.
func (ps *patParser) group() (patNode, error) {
	depth, bar := 1, false
	for j := ps.i; j < len(ps.toks) && depth > 0; j++ {
		switch ps.toks[j] {
		case "(":
			depth++
		case ")":
			depth--
		case "|":
			bar = bar || depth == 1
		}
	}
	if !bar {
		seq, err := ps.sequence(")")
		if err != nil {
			return patNode{}, err
		}
		if len(seq) == 0 {
			return patNode{}, errors.New("empty ( )")
		}
		return patNode{kind: patWords, group: seq, isGroup: true}, nil
	}
	var alts, cur []patNode
	flush := func() error {
		switch len(cur) {
		case 0:
			return errors.New("empty alternative in ( | )")
		case 1:
			alts = append(alts, cur[0])
		default:
			alts = append(alts, patNode{kind: patWords, group: cur, isGroup: true})
		}
		cur = nil
		return nil
	}
	for ps.i < len(ps.toks) {
		switch ps.toks[ps.i] {
		case ")":
			ps.i++
			if err := flush(); err != nil {
				return patNode{}, err
			}
			return patNode{kind: patWords, choice: alts, isChoice: true}, nil
		case "|":
			ps.i++
			if err := flush(); err != nil {
				return patNode{}, err
			}
		default:
			n, _, err := ps.item(")")
			if err != nil {
				return patNode{}, err
			}
			cur = append(cur, n)
		}
	}
	return patNode{}, errors.New(`")" is missing`)
}

func wildcard(f string) (patNode, error) {
	if f == "*" {
		return patNode{kind: patWild, min: 0, max: -1}, nil
	}
	upTo := strings.HasPrefix(f, "*~")
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(f, "*"), "~"))
	if err != nil || n < 0 || n > 50 {
		return patNode{}, fmt.Errorf("bad wildcard %q", f)
	}
	if upTo {
		return patNode{kind: patWild, min: 0, max: n}, nil
	}
	return patNode{kind: patWild, min: n, max: n}, nil
}

type patCompiler struct {
	tp       *textProc
	concepts map[string][][]string
}

// expand turns a parsed sequence into its flat variants.
func (c *patCompiler) expand(seq []patNode) ([][]patElem, error) {
	variants := [][]patElem{nil}
	add := func(tails [][]patElem) error {
		if len(variants)*len(tails) > maxVariants {
			return fmt.Errorf("too many alternatives with sub-patterns (more than %d variants)", maxVariants)
		}
		var next [][]patElem
		for _, v := range variants {
			for _, t := range tails {
				next = append(next, append(v[:len(v):len(v)], t...))
			}
		}
		variants = next
		return nil
	}
	for _, n := range seq {
		tails, err := c.node(n)
		if err != nil {
			return nil, err
		}
		if err := add(tails); err != nil {
			return nil, err
		}
	}
	return variants, nil
}

// node expands one parsed node into the variants it contributes.
func (c *patCompiler) node(n patNode) ([][]patElem, error) {
	switch {
	case n.kind == patWild || n.kind == patStart || n.kind == patEnd:
		return [][]patElem{{{kind: n.kind, min: n.min, max: n.max}}}, nil
	case n.kind == patNot || n.kind == patNotNext:
		alts, err := c.atom(n.atom)
		if err != nil {
			return nil, err
		}
		return [][]patElem{{{kind: n.kind, alts: alts}}}, nil
	case n.kind == patAnyOrder:
		e, err := c.anyOrder(n)
		if err != nil {
			return nil, err
		}
		return [][]patElem{{e}}, nil
	case n.isGroup:
		return c.expand(n.group)
	case n.isChoice:
		return c.choice(n)
	default:
		alts, err := c.atom(n.atom)
		if err != nil {
			return nil, err
		}
		return [][]patElem{{{kind: patWords, alts: alts}}}, nil
	}
}

// anyOrder compiles << >>: each item becomes the set of its flat variants.
func (c *patCompiler) anyOrder(n patNode) (patElem, error) {
	e := patElem{kind: patAnyOrder}
	for _, it := range n.group {
		vs, err := c.expand([]patNode{it})
		if err != nil {
			return patElem{}, err
		}
		var item []flatPattern
		for _, elems := range vs {
			item = append(item, flatPattern{elems: elems, need: needs(elems)})
		}
		e.items = append(e.items, item)
	}
	return e, nil
}

// choice expands [ ] or { }: the plain alternatives form one element; each
// sub-pattern alternative is a variant of its own.
func (c *patCompiler) choice(n patNode) ([][]patElem, error) {
	var tails [][]patElem
	simple := patElem{kind: patWords, optional: n.optional}
	for _, a := range n.choice {
		if a.isGroup {
			vs, err := c.expand(a.group)
			if err != nil {
				return nil, err
			}
			tails = append(tails, vs...)
			continue
		}
		alts, err := c.atom(a.atom)
		if err != nil {
			return nil, err
		}
		simple.alts = append(simple.alts, alts...)
	}
	switch {
	case len(simple.alts) > 0:
		tails = append(tails, []patElem{simple})
	case n.optional:
		tails = append(tails, nil) // nothing at all
	}
	return tails, nil
}

// atom compiles one word-like element to its alternatives.
func (c *patCompiler) atom(f string) ([]patAlt, error) {
	if lit, ok := strings.CutPrefix(f, "'"); ok {
		toks := c.tp.tokens(strings.ReplaceAll(lit, "_", " "))
		if len(toks) == 0 {
			return nil, fmt.Errorf("%q has no word in it", f)
		}
		return []patAlt{{toks: toks, literal: true}}, nil
	}
	if name, ok := strings.CutPrefix(f, "~"); ok {
		members, ok := c.concepts[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("unknown concept ~%s", name)
		}
		alts := make([]patAlt, len(members))
		for i, m := range members {
			alts[i] = patAlt{toks: m}
		}
		return alts, nil
	}
	word, concept, member := strings.Cut(f, "~")
	a := c.tp.analyse(strings.ReplaceAll(word, "_", " "), false)
	if len(a.stems) == 0 {
		return nil, fmt.Errorf("%q has no word in it", f)
	}
	if members, ok := c.concepts[strings.ToLower(concept)]; member && ok && !containsTokens(members, a.stems) {
		return nil, fmt.Errorf("%q is not a member of ~%s", word, concept)
	}
	return []patAlt{{toks: a.stems}}, nil
}

func containsTokens(list [][]string, toks []string) bool {
	for _, l := range list {
		if equalTokens(l, toks) {
			return true
		}
	}
	return false
}

// hasRequired reports whether the variant has an element that must match a
// word.
func (fp flatPattern) hasRequired() bool {
	for _, e := range fp.elems {
		if (e.kind == patWords && !e.optional) || e.kind == patAnyOrder {
			return true
		}
	}
	return false
}

// needs lists the first stems of every required word element; an element
// with a literal alternative is left out (literals compare words, not
// stems).
func needs(elems []patElem) [][]string {
	var out [][]string
	for _, e := range elems {
		if e.kind != patWords || e.optional {
			continue
		}
		var firsts []string
		for _, a := range e.alts {
			if a.literal {
				firsts = nil
				break
			}
			firsts = append(firsts, a.toks[0])
		}
		if firsts != nil {
			out = append(out, firsts)
		}
	}
	return out
}

// possible is the cheap pre-check: every required element has an
// alternative whose first stem is in the utterance.
func (fp *flatPattern) possible(present map[string]struct{}) bool {
	for _, firsts := range fp.need {
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

// match reports whether a variant of the pattern matches the analysed
// utterance; present is the set of its stems.
func (p *pattern) match(a analysis, present map[string]struct{}) bool {
	u := utterance{stems: a.stems, raw: a.raw}
	if len(u.stems) > 128 { // bound the search; patterns are for short commands
		u.stems, u.raw = u.stems[:128], u.raw[:128]
	}
	for i := range p.variants {
		if p.variants[i].possible(present) && p.variants[i].match(u) {
			return true
		}
	}
	return false
}

// span returns the tightest place the pattern matches: the latest start
// over its variants, and where that match ends (token indices, end
// exclusive).
func (p *pattern) span(a analysis, present map[string]struct{}) (start, end int, ok bool) {
	u := utterance{stems: a.stems, raw: a.raw}
	if len(u.stems) > 128 {
		u.stems, u.raw = u.stems[:128], u.raw[:128]
	}
	start = -1
	for i := range p.variants {
		if !p.variants[i].possible(present) {
			continue
		}
		if s, e, found := p.variants[i].find(u, true); found && s > start {
			start, end, ok = s, e, true
		}
	}
	return start, end, ok
}

type utterance struct{ stems, raw []string }

func (fp *flatPattern) match(u utterance) bool {
	_, _, ok := fp.find(u, false)
	return ok
}

// search is one matching run: the utterance, the failed states and where
// the last successful path ended.
type search struct {
	u    utterance
	memo []bool // [element][token][gap allowed] known to fail
	end  int
}

// find looks for a match, from the earliest start or, with latest, from
// the latest one; it returns the start tried and where that match ends.
// A failed state fails whatever the start, so the memo serves every start.
func (fp *flatPattern) find(u utterance, latest bool) (start, end int, ok bool) {
	s := &search{u: u, memo: make([]bool, (len(fp.elems)+1)*(len(u.stems)+1)*2)}
	anchored := len(fp.elems) > 0 && fp.elems[0].kind == patStart
	for i := 0; i <= len(u.stems); i++ {
		start = i
		if latest && !anchored {
			start = len(u.stems) - i
		}
		if fp.step(s, 0, start, 0) {
			return start, s.end, true
		}
		if anchored {
			break
		}
	}
	return 0, 0, false
}

func (fp *flatPattern) step(s *search, ei, ti, gap int) bool {
	if ei == len(fp.elems) {
		s.end = ti
		return true
	}
	g := 0
	if gap > 0 {
		g = 1
	}
	key := (ei*(len(s.u.stems)+1)+ti)*2 + g
	if s.memo[key] {
		return false
	}
	ok := fp.try(s, ei, ti, gap)
	if !ok {
		s.memo[key] = true
	}
	return ok
}

// try matches element ei at token ti, up to gap words after the previous
// element, and the rest of the pattern after it.
func (fp *flatPattern) try(s *search, ei, ti, gap int) bool {
	e := fp.elems[ei]
	n := len(s.u.stems)
	switch e.kind {
	case patStart:
		return ti == 0 && fp.step(s, ei+1, 0, 0)
	case patEnd:
		if n-ti <= gap {
			s.end = n
			return fp.step(s, ei+1, n, 0)
		}
		return false
	case patWild:
		return fp.tryWild(s, ei, ti)
	case patNot:
		for t := ti; t < n; t++ {
			if e.matchesAt(s.u, t) > 0 {
				return false
			}
		}
		return fp.step(s, ei+1, ti, gap)
	case patNotNext:
		return e.matchesAt(s.u, ti) == 0 && fp.step(s, ei+1, ti, gap)
	case patAnyOrder:
		return e.allItemsMatch(s.u) && fp.step(s, ei+1, ti, gap)
	}
	return fp.tryWords(s, ei, ti, gap)
}

// tryWild lets the wildcard element ei take each allowed number of words.
func (fp *flatPattern) tryWild(s *search, ei, ti int) bool {
	e := fp.elems[ei]
	hi := len(s.u.stems) - ti
	if e.max >= 0 && e.max < hi {
		hi = e.max
	}
	for k := e.min; k <= hi; k++ {
		if fp.step(s, ei+1, ti+k, 0) {
			return true
		}
	}
	return false
}

// allItemsMatch reports whether every item of a << >> element occurs
// somewhere in u, in any of its variants.
func (e *patElem) allItemsMatch(u utterance) bool {
	for _, item := range e.items {
		found := false
		for i := range item {
			if found = item[i].match(u); found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// tryWords matches the words element ei within gap words of ti (or skips
// it when optional).
func (fp *flatPattern) tryWords(s *search, ei, ti, gap int) bool {
	e := fp.elems[ei]
	n := len(s.u.stems)
	for skip := 0; skip <= gap && ti+skip < n; skip++ {
		for _, alt := range e.alts {
			if alt.at(s.u, ti+skip) && fp.step(s, ei+1, ti+skip+len(alt.toks), gapWords) {
				return true
			}
		}
	}
	return e.optional && fp.step(s, ei+1, ti, gap)
}

// matchesAt returns the length of an alternative found at token t, or 0.
func (e *patElem) matchesAt(u utterance, t int) int {
	for _, alt := range e.alts {
		if alt.at(u, t) {
			return len(alt.toks)
		}
	}
	return 0
}

// at reports whether the alternative occurs at token t.
func (a patAlt) at(u utterance, t int) bool {
	toks := u.stems
	if a.literal {
		toks = u.raw
	}
	return t <= len(toks) && hasPrefixTokens(toks[t:], a.toks)
}

func hasPrefixTokens(toks, prefix []string) bool {
	return len(toks) >= len(prefix) && equalTokens(toks[:len(prefix)], prefix)
}
