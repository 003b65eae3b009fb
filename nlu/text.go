package nlu

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/parleyhq/parley/nlu/lang"
)

// analysis is an utterance after the language pipeline: raw holds the
// spell-corrected, synonym-substituted tokens and stems their stems.
type analysis struct {
	raw   []string
	stems []string
	// declines is set when the utterance refuses what it names ("I don't
	// want to book a flight"), for languages that can tell.
	declines bool
}

// textProc runs the shared pipeline (tokenise, spell-correct, substitute
// synonyms, stem) so that the classifier, the pattern matcher and the
// exact-match table see the same words.
type textProc struct {
	lang      lang.Language
	syn       map[string][]phraseRule // first token → rules, longest first
	speller   *speller
	stemCache map[string]string // stem cache, filled during training only
}

// phraseRule rewrites the token sequence from to the sequence to.
type phraseRule struct {
	from []string
	to   []string
}

func newTextProc(l lang.Language, synonyms map[string][]string) *textProc {
	tp := &textProc{lang: l, syn: map[string][]phraseRule{}, stemCache: map[string]string{}}
	keys := make([]string, 0, len(synonyms))
	for k := range synonyms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		to := tp.tokens(k)
		if len(to) == 0 {
			continue
		}
		for _, s := range synonyms[k] {
			from := tp.tokens(s)
			if len(from) == 0 || equalTokens(from, to) {
				continue
			}
			tp.syn[from[0]] = append(tp.syn[from[0]], phraseRule{from: from, to: to})
		}
	}
	for _, rules := range tp.syn {
		sort.SliceStable(rules, func(i, j int) bool { return len(rules[i].from) > len(rules[j].from) })
	}
	return tp
}

func (tp *textProc) tokens(s string) []string {
	toks := tp.lang.Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

func (tp *textProc) stem(w string) string {
	if s, ok := tp.stemCache[w]; ok {
		return s
	}
	return tp.lang.Stem(w)
}

// analyse runs the pipeline. correct enables spelling correction, which is
// off for training text (it is the vocabulary) and pattern source.
func (tp *textProc) analyse(s string, correct bool) analysis {
	lt := tp.lang.Tokenize(s)
	toks := make([]string, len(lt))
	for i, t := range lt {
		toks[i] = t.Text
	}
	var declines bool
	if n, ok := tp.lang.(lang.WithNegation); ok {
		declines = n.DeclinesDesire(s, lt)
	}
	if correct && tp.speller != nil {
		for i, t := range toks {
			toks[i] = tp.speller.correct(t)
		}
	}
	toks = tp.substitute(toks)
	a := analysis{raw: toks, stems: make([]string, len(toks)), declines: declines}
	for i, t := range toks {
		a.stems[i] = tp.stem(t)
	}
	return a
}

// substitute applies synonym rules, longest phrase first, left to right.
func (tp *textProc) substitute(toks []string) []string {
	if len(tp.syn) == 0 {
		return toks
	}
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); {
		applied := false
		for _, r := range tp.syn[toks[i]] {
			if i+len(r.from) <= len(toks) && equalTokens(toks[i:i+len(r.from)], r.from) {
				out = append(out, r.to...)
				i += len(r.from)
				applied = true
				break
			}
		}
		if !applied {
			out = append(out, toks[i])
			i++
		}
	}
	return out
}

func equalTokens(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// speller corrects out-of-vocabulary words with a symmetric-delete index
// (the SymSpell idea): a word within edit distance d of a vocabulary word
// shares a string obtained by at most d deletions from each, so candidates
// come from a hash lookup instead of a scan of the vocabulary, and
// Levenshtein only verifies a handful of them. That keeps correction inside
// the per-utterance latency budget for bots with thousands of words.
type speller struct {
	freq    map[string]int
	words   []string
	deletes map[string][]int32
	// isWord, when set, reports words of the language that must not be
	// "corrected" into a bot word: they are real words the bot never saw.
	isWord func(string) bool
}

// Only words this long are corrected: shorter ones are too often valid
// words the bot never saw, and one edit changes them too much.
const (
	spellMinLen  = 5
	spellLongLen = 8 // from this length two edits are allowed
)

func newSpeller(freq map[string]int) *speller {
	sp := &speller{freq: freq, deletes: map[string][]int32{}}
	for w := range freq {
		sp.words = append(sp.words, w)
	}
	sort.Strings(sp.words)
	for id, w := range sp.words {
		if utf8.RuneCountInString(w) < spellMinLen-1 || !isAlpha(w) {
			continue
		}
		depth := 1
		if utf8.RuneCountInString(w) >= spellLongLen-2 {
			depth = 2
		}
		for _, d := range deletesOf(w, depth) {
			sp.deletes[d] = append(sp.deletes[d], int32(id))
		}
	}
	return sp
}

func isAlpha(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// deletesOf returns w and every distinct string obtained by removing up to
// depth runes from it.
func deletesOf(w string, depth int) []string {
	seen := map[string]struct{}{w: {}}
	frontier := []string{w}
	for d := 0; d < depth; d++ {
		var next []string
		for _, s := range frontier {
			rs := []rune(s)
			if len(rs) <= 1 {
				continue
			}
			for i := range rs {
				c := string(rs[:i]) + string(rs[i+1:])
				if _, ok := seen[c]; !ok {
					seen[c] = struct{}{}
					next = append(next, c)
				}
			}
		}
		frontier = next
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	return out
}

// correct returns the vocabulary word nearest to w, or w itself when w is
// known, too short, not alphabetic, or nothing is near enough.
func (sp *speller) correct(w string) string {
	if _, ok := sp.freq[w]; ok {
		return w
	}
	if sp.isWord != nil && sp.isWord(w) {
		return w
	}
	n := utf8.RuneCountInString(w)
	if n < spellMinLen || n > 40 || !isAlpha(w) {
		return w
	}
	maxd := 1
	if n >= spellLongLen {
		maxd = 2
	}
	best, bestD, bestF := "", maxd+1, -1
	seen := map[int32]struct{}{}
	for _, key := range deletesOf(w, maxd) {
		for _, id := range sp.deletes[key] {
			if _, ok := seen[id]; ok {
				continue
			}
			seen[id] = struct{}{}
			c := sp.words[id]
			d := levenshtein.ComputeDistance(w, c)
			if d > maxd {
				continue
			}
			f := sp.freq[c]
			if d < bestD || (d == bestD && (f > bestF || (f == bestF && c < best))) {
				best, bestD, bestF = c, d, f
			}
		}
	}
	if best == "" {
		return w
	}
	return best
}

// joinKey is the exact-match key of an analysed utterance.
func joinKey(stems []string) string { return strings.Join(stems, " ") }
