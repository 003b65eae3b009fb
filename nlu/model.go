package nlu

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/parleyhq/parley/nlu/embed"
	"github.com/parleyhq/parley/nlu/entity"
	"github.com/parleyhq/parley/nlu/lang"
)

// Engine names the engine that produced a match, as utterance testing shows.
type Engine string

// Engines.
const (
	EnginePattern Engine = "pattern" // a bot pattern matched: definite
	EngineExact   Engine = "exact"   // the utterance equals a training utterance: definite
	EngineML      Engine = "ml"      // the classifier's calibrated confidence
)

// Status is the resolver's verdict for an utterance.
type Status string

// Statuses.
const (
	// StatusDefinite: exactly one definite match; run its task.
	StatusDefinite Status = "definite"
	// StatusProbable: no definite match, and the top probable match is clear
	// of the runner-up; run its task.
	StatusProbable Status = "probable"
	// StatusAmbiguous: several definite matches, or probable matches within
	// the proximity; the dialog asks "did you mean" with Candidates.
	StatusAmbiguous Status = "ambiguous"
	// StatusNone: nothing reaches the minimum threshold; the default dialog
	// runs.
	StatusNone Status = "none"
)

// Match is one intent's result for an utterance.
type Match struct {
	Intent   string  `json:"intent"`
	Score    float64 `json:"score"`
	Engine   Engine  `json:"engine"`
	Definite bool    `json:"definite"`
	Pattern  string  `json:"pattern,omitempty"`
	// Eliminated says why the resolver set this match aside, as Kore's
	// utterance testing does; it stays in Ranked for inspection.
	Eliminated string `json:"eliminated,omitempty"`
}

// patternWords is the words a pattern asks for, to see whether the
// pattern is itself a refusal ("dont want * order"); words it excludes
// ("!not") are left out.
func patternWords(src string) string {
	var out []string
	for _, f := range strings.Fields(patternOperators.Replace(src)) {
		if !strings.HasPrefix(f, "!") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

var patternOperators = strings.NewReplacer("[", " ", "]", " ", "{", " ", "}", " ", "(", " ", ")", " ", "<", " ", ">", " ",
	"*", " ", "|", " ", "_", " ")

// EliminatedLaterDefinite marks a definite pattern match set aside because
// another intent's pattern matched earlier in the sentence.
const EliminatedLaterDefinite = "later_definite"

// EliminatedNegation marks a match dropped because the utterance refuses
// what it names and the intent was not trained with refusals.
const EliminatedNegation = "negation"

// Result is the outcome of classifying one utterance.
type Result struct {
	Status Status `json:"status"`
	// Intent is the winning intent for definite and probable results.
	Intent string `json:"intent,omitempty"`
	// Candidates are the intents to offer when Status is ambiguous.
	Candidates []string `json:"candidates,omitempty"`
	// Ranked lists the best matches, definite ones first, then by score
	// (at most [RankedMax]); it is filled whatever the status, so Ranked[0]
	// is the top intent even when it is below the minimum threshold.
	Ranked []Match `json:"ranked"`
}

// RankedMax is how many matches a Result ranks (Kore shows the top 5).
const RankedMax = 5

// Top returns the top-ranked intent regardless of thresholds, or "".
func (r Result) Top() string {
	if len(r.Ranked) == 0 {
		return ""
	}
	return r.Ranked[0].Intent
}

// Model is a trained bot NLU. It is safe for concurrent use.
type Model struct {
	lang       lang.Language
	thresholds Thresholds
	intents    []string // all intents, in definition order
	mlIntents  []int    // ML class → intent index
	tp         *textProc
	feat       *featurizer
	lin        *linear
	nb         *linear // optional naive-Bayes log-posterior terms (Options.NBWeight > 0)
	nbWeight   float64
	a, b       float64 // calibration: p = 1/(1+exp(a*s+b))
	patterns   []pattern
	exact      map[string]int      // analysed training utterance → intent, -1 if ambiguous
	declining  map[int]bool        // intents trained with a refusal ("I don't want my order")
	known      map[string]struct{} // stems of every word the bot was trained with
	neutral    map[string]struct{} // stems of list-entity words, left out of coverage
	coverExp   float64             // Options.CoverageExponent
	skipDigits bool                // Options.CoverEntityWords
	rarity     *embed.Table        // Options.CoverByRarity: ranks of general words
	entities   map[string]entity.Spec
	pool       *sync.Pool // scratch buffers, shared by WithThresholds copies
}

// ErrNoIntents is returned when the training data defines no intent.
var ErrNoIntents = errors.New("training data has no intents")

// Train trains a model with [DefaultOptions].
func Train(td TrainingData) (*Model, error) { return TrainOptions(td, DefaultOptions()) }

// TrainOptions trains a model with explicit hyperparameters; it exists for
// cross-validation and experiments, bots use [Train].
func TrainOptions(td TrainingData, o Options) (*Model, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	if err := td.Thresholds.Validate(); err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	if len(td.Intents) == 0 {
		return nil, ErrNoIntents
	}
	l, err := lang.Get(td.Language)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	vectors, err := wordVectors(l, o)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	m := &Model{lang: l, thresholds: td.Thresholds.WithDefaults(), entities: td.Entities, coverExp: o.CoverageExponent, skipDigits: o.CoverEntityWords, pool: &sync.Pool{}}
	m.tp = newTextProc(l, td.Synonyms)
	if o.CoverByRarity {
		m.rarity = vectors
	}
	if err := m.nameIntents(td); err != nil {
		return nil, err
	}
	m.learnVocabulary(td, o, vectors)
	m.declining = map[int]bool{}
	if err := m.compilePatterns(td); err != nil {
		return nil, err
	}
	docs, ys := m.examples(td)
	if len(docs) == 0 {
		return m, nil // pattern-only bot
	}
	m.fit(docs, ys, o, vectors)
	return m, nil
}

// nameIntents records the intent names, each defined once.
func (m *Model) nameIntents(td TrainingData) error {
	seen := map[string]bool{}
	for _, in := range td.Intents {
		if in.Name == "" {
			return errors.New("train: an intent has no name")
		}
		if seen[in.Name] {
			return fmt.Errorf("train: intent %q is defined twice", in.Name)
		}
		seen[in.Name] = true
		m.intents = append(m.intents, in.Name)
	}
	return nil
}

// learnVocabulary records the stems of every word the bot knows (its
// utterances, patterns, synonyms and concepts), the list-entity words
// coverage leaves out, and the speller over those words.
func (m *Model) learnVocabulary(td TrainingData, o Options, vectors *embed.Table) {
	l := m.lang
	freq := wordFrequencies(td, m.tp)
	m.known = map[string]struct{}{}
	for w := range freq {
		st := l.Stem(w)
		m.tp.stemCache[w] = st
		m.known[st] = struct{}{}
	}
	// Users name the bot's list values ("savings", "salary") in the same
	// breath as the task. Coverage leaves those words out, like stop words:
	// they neither show the utterance is about the bot's tasks (a bare
	// "salary" must not start one) nor that it is not.
	m.neutral = map[string]struct{}{}
	if o.CoverEntityWords {
		for _, spec := range td.Entities {
			for _, v := range listValues(spec) {
				for _, t := range m.tp.tokens(v) {
					if _, known := m.known[l.Stem(t)]; !known {
						m.neutral[l.Stem(t)] = struct{}{}
					}
				}
			}
		}
	}
	if o.Spell {
		m.tp.speller = newSpeller(freq)
		if o.SpellKeepWords && vectors != nil {
			m.tp.speller.isWord = vectors.Has
		}
	}
}

// wordFrequencies counts every word of the bot, the vocabulary of spelling
// correction.
func wordFrequencies(td TrainingData, tp *textProc) map[string]int {
	freq := map[string]int{}
	addWords := func(s string) {
		for _, t := range tp.tokens(s) {
			freq[t]++
		}
	}
	for _, in := range td.Intents {
		for _, u := range in.Utterances {
			addWords(u)
		}
		for _, p := range in.Patterns {
			addWords(strings.NewReplacer("_", " ", "~", " ").Replace(p))
		}
	}
	for k, vs := range td.Synonyms {
		addWords(k)
		for _, v := range vs {
			addWords(v)
		}
	}
	for _, vs := range td.Concepts {
		for _, v := range vs {
			addWords(v)
		}
	}
	return freq
}

// compilePatterns compiles every intent's patterns against the bot's
// concepts and marks the intents whose patterns decline something.
func (m *Model) compilePatterns(td TrainingData) error {
	concepts := map[string][][]string{}
	for name, vs := range td.Concepts {
		for _, v := range vs {
			if a := m.tp.analyse(v, false); len(a.stems) > 0 {
				concepts[strings.ToLower(name)] = append(concepts[strings.ToLower(name)], a.stems)
			}
		}
	}
	for ii, in := range td.Intents {
		for _, src := range in.Patterns {
			p, err := compilePattern(src, ii, m.tp, concepts)
			if err != nil {
				return fmt.Errorf("train: intent %q: %w", in.Name, err)
			}
			m.patterns = append(m.patterns, p)
			if m.tp.analyse(patternWords(src), false).declines {
				m.declining[ii] = true
			}
		}
	}
	return nil
}

// examples analyses the training utterances into the ML classes (the
// intents that have utterances), recording the exact utterances and the
// intents trained with a refusal on the way.
func (m *Model) examples(td TrainingData) ([]analysis, []int32) {
	var docs []analysis
	var ys []int32
	m.exact = map[string]int{}
	for ii, in := range td.Intents {
		if len(in.Utterances) == 0 {
			continue
		}
		cls := int32(len(m.mlIntents))
		m.mlIntents = append(m.mlIntents, ii)
		for _, u := range in.Utterances {
			a := m.tp.analyse(u, false)
			if len(a.stems) == 0 {
				continue
			}
			docs = append(docs, a)
			ys = append(ys, cls)
			if a.declines {
				m.declining[ii] = true
			}
			k := joinKey(a.stems)
			if prev, ok := m.exact[k]; ok && prev != ii {
				m.exact[k] = -1
			} else {
				m.exact[k] = ii
			}
		}
	}
	return docs, ys
}

// fit trains the features, the classifier (with its optional ensemble
// partner) and the confidence calibration on the analysed utterances.
func (m *Model) fit(docs []analysis, ys []int32, o Options, vectors *embed.Table) {
	m.feat = &featurizer{opts: o, stop: m.lang.IsStopWord}
	pairs := len(docs) * len(m.mlIntents)
	if o.VectorShare > 0 && (o.VectorMaxPairs == 0 || pairs <= o.VectorMaxPairs) {
		m.feat.vectors = vectors
	}
	m.feat.fit(docs)
	ds := dataset{nclass: len(m.mlIntents), dim: m.feat.dim(), y: ys, x: make([]sparse, len(docs))}
	var scratch []int32
	for i, d := range docs {
		ds.x[i], scratch = m.feat.vector(d, scratch)
	}
	rows := make([]int, len(docs))
	for i := range rows {
		rows[i] = i
	}
	var alpha []float64
	m.lin, alpha = trainOvR(ds, rows, o)
	if o.NBWeight > 0 {
		m.nb, m.nbWeight = trainNB(ds, o.NBAlpha), o.NBWeight
	} else if o.LRWeight > 0 {
		m.nb, m.nbWeight = trainLR(ds, 1/(o.C*float64(len(ds.y))), o.LRIter), o.LRWeight
	}
	m.a, m.b = -2, 0 // uncalibrated: a plain logistic on the margin
	if o.Calibrate {
		if o.CalibrationFolds > 1 && len(ds.y) < o.CalibrationMaxPerIntent*ds.nclass {
			m.a, m.b = calibrateHeldOut(ds, o)
		} else {
			m.a, m.b = calibrate(ds, m.lin, alpha, o)
		}
	}
	if m.a >= 0 { // a non-decreasing calibration would invert the ranking
		m.a, m.b = -2, 0
	}
}

// Intents returns the intent names in definition order.
func (m *Model) Intents() []string { return append([]string(nil), m.intents...) }

// Thresholds returns the effective thresholds.
func (m *Model) Thresholds() Thresholds { return m.thresholds }

// WithThresholds returns the model resolving with t instead of the
// thresholds it was trained with (zero fields take Kore's defaults); the
// trained parts are shared, not copied. It lets an evaluation show what
// each setting of the thresholds would do without training again.
func (m *Model) WithThresholds(t Thresholds) (*Model, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	c := *m
	c.thresholds = t.WithDefaults()
	return &c, nil
}

// Language is the code of the model's language ("en", "es", "fr").
func (m *Model) Language() string { return m.lang.Code() }

// Entities returns the entity specs the model was trained with.
func (m *Model) Entities() map[string]entity.Spec { return m.entities }

type classifyScratch struct {
	acc    []float32
	ids    []int32
	scores []float64
	nb     []float64
}

// Classify ranks the intents for text and resolves them with the bot's
// thresholds (reference §8.2).
func (m *Model) Classify(text string) Result {
	a := m.tp.analyse(text, true)
	matches, definite := m.definiteMatches(a)
	return m.resolve(matches, m.mlMatches(a, definite))
}

// definiteMatches are the pattern and exact-utterance matches of a, and the
// set of their intents.
func (m *Model) definiteMatches(a analysis) ([]Match, map[int]bool) {
	var matches []Match
	definite := map[int]bool{}
	var present map[string]struct{}
	if len(m.patterns) > 0 {
		present = make(map[string]struct{}, len(a.stems))
		for _, s := range a.stems {
			present[s] = struct{}{}
		}
	}
	var matched []*pattern // matched[i] produced matches[i]
	for i := range m.patterns {
		p := &m.patterns[i]
		if definite[p.intent] || !p.match(a, present) {
			continue
		}
		definite[p.intent] = true
		x := Match{Intent: m.intents[p.intent], Score: 1, Engine: EnginePattern, Definite: true, Pattern: p.src}
		if a.declines && !m.declining[p.intent] {
			x.Definite, x.Eliminated = false, EliminatedNegation
		}
		matches = append(matches, x)
		matched = append(matched, p)
	}
	earlierDefiniteWins(matches, matched, a, present)
	if ii, ok := m.exact[joinKey(a.stems)]; ok && ii >= 0 && !definite[ii] && len(a.stems) > 0 {
		definite[ii] = true
		matches = append(matches, Match{Intent: m.intents[ii], Score: 1, Engine: EngineExact, Definite: true})
	}
	return matches, definite
}

// mlMatches are the classifier's best intents for a, less the definite ones.
func (m *Model) mlMatches(a analysis, definite map[int]bool) []Match {
	if m.lin == nil || len(a.stems) == 0 {
		return nil
	}
	sc, _ := m.pool.Get().(*classifyScratch)
	if sc == nil {
		sc = &classifyScratch{scores: make([]float64, m.lin.nclass), acc: make([]float32, m.lin.nclass)}
	}
	defer m.pool.Put(sc)
	var x sparse
	x, sc.ids = m.feat.vector(a, sc.ids)
	m.lin.scores(x, sc.scores, sc.acc)
	if m.nb != nil {
		m.mix(x, sc)
	}
	top := topK(sc.scores, RankedMax+len(definite))
	cov := math.Pow(m.coverage(a), m.coverExp)
	var ml []Match
	for _, c := range top {
		ii := m.mlIntents[c]
		if definite[ii] {
			continue
		}
		var p float64
		if m.nb != nil {
			p = cov * sc.scores[c] // already a probability
		} else {
			p = cov / (1 + math.Exp(m.a*sc.scores[c]+m.b))
		}
		x := Match{Intent: m.intents[ii], Score: p, Engine: EngineML, Definite: p >= m.thresholds.Definite}
		// Kore's "negationIntent": "I don't want to book a flight"
		// does not start Book Flight, unless the intent itself is
		// about not wanting something.
		if a.declines && !m.declining[ii] {
			x.Definite, x.Eliminated = false, EliminatedNegation
		}
		ml = append(ml, x)
	}
	return ml
}

// earlierDefiniteWins applies Kore's rule for two definite intents in one
// sentence: the earlier wins ("book me a flight and then book a cab" books
// the flight). It applies only when the pattern matches lie in separate
// parts of the utterance; when they share words the user is asked to
// choose, as for any several definite matches. patterns[i] is the pattern
// behind matches[i].
func earlierDefiniteWins(matches []Match, patterns []*pattern, a analysis, present map[string]struct{}) {
	n := 0
	for _, x := range matches {
		if x.Definite {
			n++
		}
	}
	if n < 2 { // the common case: no span to look for
		return
	}
	type placed struct{ i, start, end int }
	var ps []placed
	for i, x := range matches {
		if !x.Definite {
			continue
		}
		start, end, ok := patterns[i].span(a, present)
		if !ok {
			return
		}
		ps = append(ps, placed{i, start, end})
	}
	first := ps[0]
	for _, p := range ps[1:] {
		if p.start < first.start {
			first = p
		}
	}
	for _, p := range ps {
		if p.i != first.i && p.start < first.end {
			return // overlapping: ambiguous
		}
	}
	for _, p := range ps {
		if p.i != first.i {
			matches[p.i].Definite, matches[p.i].Eliminated = false, EliminatedLaterDefinite
		}
	}
}

// mix replaces the SVM margins in sc.scores by the ensemble probability:
// the weighted mean of the calibrated SVM probability and the naive-Bayes
// posterior (a softmax over the intents).
func (m *Model) mix(x sparse, sc *classifyScratch) {
	if len(sc.nb) < m.nb.nclass {
		sc.nb = make([]float64, m.nb.nclass)
	}
	nb := sc.nb[:m.nb.nclass]
	m.nb.scores(x, nb, sc.acc)
	mx := math.Inf(-1)
	for _, v := range nb {
		mx = max(mx, v)
	}
	var z float64
	for c, v := range nb {
		nb[c] = math.Exp(v - mx)
		z += nb[c]
	}
	w := m.nbWeight
	for c, s := range sc.scores[:m.nb.nclass] {
		sc.scores[c] = (1-w)/(1+math.Exp(m.a*s+m.b)) + w*nb[c]/z
	}
}

// coverage is the share of the utterance's content words (stop words
// aside) that the bot was trained with. The calibrated probability answers
// "which intent, given that it is one of these"; scaling it by coverage
// answers "is it one of these at all", so an utterance made of words the
// bot never saw cannot reach the thresholds, whatever the classifier's
// ranking (Kore's FM engine scores word coverage the same way). With only
// stop words, all words count. Classify raises it to
// Options.CoverageExponent: 1 by default, chosen with the calibration on
// train and validation splits (RESULTS.md, "Calibration").
func (m *Model) coverage(a analysis) float64 {
	var known, total float64
	for i, st := range a.stems {
		if _, ok := m.neutral[st]; ok || m.lang.IsStopWord(a.raw[i]) || (m.skipDigits && hasDigit(a.raw[i])) {
			continue
		}
		w := m.coverWeight(a.raw[i])
		total += w
		if _, ok := m.known[st]; ok {
			known += w
		}
	}
	if total == 0 {
		for _, st := range a.stems {
			if _, ok := m.known[st]; ok {
				known++
			}
		}
		total = float64(len(a.stems))
	}
	if total == 0 {
		return 0
	}
	return known / total
}

// coverWeight is a word's weight in the coverage: 1, or with
// Options.CoverByRarity the log of its frequency rank.
func (m *Model) coverWeight(word string) float64 {
	if m.rarity == nil {
		return 1
	}
	r, ok := m.rarity.Rank(word)
	if !ok {
		r = m.rarity.Len()
	}
	return math.Log(float64(r) + 10)
}

// topK returns the indices of the k largest scores, best first; ties go to
// the lower index so results are deterministic.
func topK(s []float64, k int) []int {
	if k > len(s) {
		k = len(s)
	}
	out := make([]int, 0, k+1)
	for i, v := range s {
		if len(out) == k && v <= s[out[k-1]] {
			continue
		}
		j := len(out)
		if j < k {
			out = append(out, i)
		} else {
			j = k - 1
		}
		for j > 0 && s[out[j-1]] < v {
			out[j] = out[j-1]
			j--
		}
		out[j] = i
	}
	return out
}

// resolve implements the ranking and resolver: definite matches win (Kore's
// "prefer definitive matches"), more than one is ambiguous; otherwise the
// top probable wins unless the runner-up is within the proximity.
func (m *Model) resolve(definite, ml []Match) Result {
	t := m.thresholds
	var defs []Match
	for _, x := range definite {
		if x.Eliminated == "" {
			defs = append(defs, x)
		}
	}
	var probable []Match
	for _, x := range ml {
		if x.Eliminated != "" {
			continue
		}
		if x.Definite {
			defs = append(defs, x)
		} else if x.Score >= t.Minimum {
			probable = append(probable, x)
		}
	}
	r := Result{Ranked: append(append([]Match(nil), definite...), ml...)}
	sort.SliceStable(r.Ranked, func(i, j int) bool {
		if r.Ranked[i].Definite != r.Ranked[j].Definite {
			return r.Ranked[i].Definite
		}
		return r.Ranked[i].Score > r.Ranked[j].Score
	})
	if len(r.Ranked) > RankedMax {
		r.Ranked = r.Ranked[:RankedMax]
	}
	switch {
	case len(defs) == 1:
		r.Status, r.Intent = StatusDefinite, defs[0].Intent
	case len(defs) > 1:
		r.Status = StatusAmbiguous
		for _, d := range defs {
			r.Candidates = append(r.Candidates, d.Intent)
		}
	case len(probable) == 0:
		r.Status = StatusNone
	default:
		r.Status, r.Intent = StatusProbable, probable[0].Intent
		for _, p := range probable[1:] {
			if probable[0].Score-p.Score <= t.Proximity {
				r.Candidates = append(r.Candidates, p.Intent)
			}
		}
		if len(r.Candidates) > 0 {
			r.Candidates = append([]string{probable[0].Intent}, r.Candidates...)
			r.Status, r.Intent = StatusAmbiguous, ""
		}
	}
	return r
}

// wordVectors returns the table the options ask for: Options.Vectors, else
// the language's own, else none; nil when no option uses vectors.
func wordVectors(l lang.Language, o Options) (*embed.Table, error) {
	if o.VectorShare <= 0 && !o.SpellKeepWords {
		return nil, nil
	}
	if o.Vectors != nil {
		return o.Vectors, nil
	}
	lv, ok := l.(lang.WithVectors)
	if !ok {
		return nil, nil
	}
	t, err := lv.Vectors()
	if err != nil {
		return nil, fmt.Errorf("word vectors for %q: %w", l.Code(), err)
	}
	return t, nil
}

// hasDigit reports whether a token holds a digit: amounts, dates, numbers
// and ids are entity values, not words that say which task is meant.
func hasDigit(s string) bool {
	for _, r := range s {
		if unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// listValues returns the titles, values and synonyms of the List entities
// in spec, composites included.
func listValues(spec entity.Spec) []string {
	var out []string
	if spec.Type == entity.List {
		for _, v := range spec.Values {
			out = append(append(out, v.Title, v.Value), v.Synonyms...)
		}
	}
	for _, c := range spec.Components {
		out = append(out, listValues(c)...)
	}
	return out
}
