package engine

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/nlu/lang"
	"github.com/parleyhq/parley/services/dialog/botdef"
)

// vocabulary is what the engine recognises by itself in one language: the
// answers to a confirmation (Kore's ~yes and ~no concepts, broadened,
// reference §3.1), the cancel commands (§5) and small talk.
type vocabulary struct {
	yes, no, cancel, cancelAll []string
	smallTalk                  map[string]string // whole utterance → greeting, thanks or goodbye
	yesButton, noButton        string            // confirmation button titles
	// then and before are the multi-intent cues: "A and then B" runs A
	// first, "A but before that B" runs B first.
	then, before []string
}

// splitter is a multi-intent cue phrase.
type splitter struct {
	phrase string
	before bool
}

// vocabularies holds the built-in words per bot language. Each language's
// lists stand alone: "ya" is yes in English and "already" in Spanish.
// Confirmation buttons send "yes" and "no" as their payload whatever the
// language, so those two are always understood (see vocabularyFor).
var vocabularies = map[string]vocabulary{
	"en": {
		yesButton: "Yes", noButton: "No",
		then: []string{"and then", "then", "and after that", "after that", "afterwards", "and later", "later",
			"following that", "secondly"},
		before: []string{"but before that", "before that", "prior to that", "beforehand", "but first"},
		yes: []string{
			"yes", "yeah", "yea", "yep", "yup", "ya", "yes please", "ok", "okay", "k", "sure", "of course",
			"absolutely", "correct", "right", "y", "affirmative", "certainly", "definitely", "indeed",
			"go ahead", "please do", "do it", "confirm", "confirmed", "sounds good", "that's right",
			"thats right", "alright", "all right", "fine", "agreed", "i agree", "true", "👍",
		},
		no: []string{
			"no", "nope", "nah", "never", "not really", "no thanks", "no thank you", "n", "negative",
			"of course not", "absolutely not", "certainly not", "definitely not", "not at all", "no way",
			"don't", "do not", "dont", "not now", "wrong", "incorrect", "false", "👎",
		},
		cancel:    []string{"cancel", "discard", "stop", "terminate", "end", "abort", "exit", "quit"},
		cancelAll: []string{"discard all", "cancel all", "terminate everything", "clean all", "stop all", "abort all", "exit all", "quit all"},
		smallTalk: map[string]string{
			"hi": "greeting", "hello": "greeting", "hey": "greeting", "hiya": "greeting", "howdy": "greeting",
			"good morning": "greeting", "good afternoon": "greeting", "good evening": "greeting", "hi there": "greeting",
			"hello there": "greeting", "hey there": "greeting", "greetings": "greeting", "hola": "greeting",
			"thanks": "thanks", "thank you": "thanks", "thx": "thanks", "thank you very much": "thanks",
			"thanks a lot": "thanks", "many thanks": "thanks", "cheers": "thanks", "ty": "thanks",
			"bye": "goodbye", "goodbye": "goodbye", "good bye": "goodbye", "see you": "goodbye",
			"see you later": "goodbye", "good night": "goodbye", "bye bye": "goodbye", "later": "goodbye",
		},
	},
	"es": {
		yesButton: "Sí", noButton: "No",
		then:   []string{"y luego", "luego", "y después", "y despues", "después", "despues", "y entonces", "más tarde", "mas tarde"},
		before: []string{"pero antes de eso", "antes de eso", "pero antes", "pero primero"},
		yes: []string{
			"sí", "si", "sip", "claro", "claro que sí", "claro que si", "vale", "ok", "okay", "de acuerdo",
			"correcto", "por supuesto", "afirmativo", "exacto", "eso es", "dale", "está bien", "esta bien",
			"sí por favor", "si por favor", "confirmo", "confirmado", "adelante", "perfecto", "👍",
		},
		no: []string{
			"no", "nop", "nunca", "para nada", "de ninguna manera", "no gracias", "negativo", "incorrecto",
			"claro que no", "por supuesto que no", "en absoluto", "ahora no", "todavía no", "todavia no", "👎",
		},
		cancel:    []string{"cancelar", "cancela", "cancélalo", "cancelalo", "descartar", "detener", "parar", "para", "terminar", "salir", "abortar"},
		cancelAll: []string{"cancelar todo", "cancela todo", "descartar todo", "terminar todo", "parar todo", "salir de todo"},
		smallTalk: map[string]string{
			"hola": "greeting", "buenas": "greeting", "buenos días": "greeting", "buenos dias": "greeting",
			"buenas tardes": "greeting", "buenas noches": "greeting", "saludos": "greeting", "qué tal": "greeting", "que tal": "greeting",
			"gracias": "thanks", "muchas gracias": "thanks", "mil gracias": "thanks", "te lo agradezco": "thanks",
			"adiós": "goodbye", "adios": "goodbye", "hasta luego": "goodbye", "hasta pronto": "goodbye",
			"chao": "goodbye", "chau": "goodbye", "nos vemos": "goodbye", "hasta mañana": "goodbye", "hasta manana": "goodbye",
		},
	},
	"fr": {
		yesButton: "Oui", noButton: "Non",
		then:   []string{"et ensuite", "ensuite", "et puis", "puis", "après ça", "après cela", "plus tard"},
		before: []string{"mais avant ça", "mais avant cela", "avant ça", "avant cela", "mais d'abord", "mais avant"},
		yes: []string{
			"oui", "ouais", "oui merci", "oui s'il vous plaît", "oui s'il vous plait", "d'accord", "ok", "okay",
			"bien sûr", "bien sur", "exact", "exactement", "correct", "c'est ça", "c'est ca", "affirmatif",
			"volontiers", "je confirme", "confirmé", "confirme", "ça marche", "ca marche", "parfait", "vas-y", "allez-y", "👍",
		},
		no: []string{
			"non", "nan", "non merci", "jamais", "pas du tout", "négatif", "negatif", "incorrect",
			"certainement pas", "absolument pas", "bien sûr que non", "bien sur que non", "pas maintenant", "👎",
		},
		cancel:    []string{"annuler", "annule", "annulez", "abandonner", "arrêter", "arreter", "arrête", "arrete", "stop", "terminer", "quitter"},
		cancelAll: []string{"tout annuler", "annuler tout", "annule tout", "tout arrêter", "tout arreter", "tout abandonner", "tout quitter"},
		smallTalk: map[string]string{
			"bonjour": "greeting", "salut": "greeting", "bonsoir": "greeting", "coucou": "greeting", "allô": "greeting", "allo": "greeting",
			"merci": "thanks", "merci beaucoup": "thanks", "merci bien": "thanks", "je vous remercie": "thanks",
			"au revoir": "goodbye", "à bientôt": "goodbye", "a bientot": "goodbye", "à plus": "goodbye", "a plus": "goodbye",
			"bonne journée": "goodbye", "bonne journee": "goodbye", "bonne soirée": "goodbye", "bonne soiree": "goodbye", "bonne nuit": "goodbye",
		},
	},
}

// compiledVocabulary is a vocabulary as sets of normalised phrases.
type compiledVocabulary struct {
	yes, no, cancel, cancelAll map[string]bool
	smallTalk                  map[string]string
	yesButton, noButton        string
	splitters                  []splitter
}

// vocabularyFor returns the built-in words of a bot language ("es-MX" is
// "es"); a language without a vocabulary here gets English's.
func vocabularyFor(language string) compiledVocabulary {
	code := strings.ToLower(language)
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	v, ok := vocabularies[code]
	if !ok {
		v = vocabularies["en"]
	}
	c := compiledVocabulary{
		yes: phraseSet(append(v.yes, "yes")), no: phraseSet(append(v.no, "no")),
		cancel: phraseSet(v.cancel), cancelAll: phraseSet(v.cancelAll),
		smallTalk: map[string]string{}, yesButton: v.yesButton, noButton: v.noButton,
	}
	for _, p := range v.then {
		c.splitters = append(c.splitters, splitter{phrase: p})
	}
	for _, p := range v.before {
		c.splitters = append(c.splitters, splitter{phrase: p, before: true})
	}
	for p, kind := range v.smallTalk {
		c.smallTalk[normalize(p)] = kind
	}
	return c
}

func phraseSet(ps []string) map[string]bool {
	m := map[string]bool{}
	for _, p := range ps {
		m[normalize(p)] = true
	}
	return m
}

// smallTalkKind recognises a whole-utterance greeting, thanks or goodbye
// (with an optional trailing "bot"); a greeting in a real request is not
// small talk.
func (b *Bot) smallTalkKind(norm string) string {
	if k, ok := b.words.smallTalk[norm]; ok {
		return k
	}
	return b.words.smallTalk[strings.TrimSuffix(norm, " bot")]
}

// FallbackRecognizer is a small intent matcher used when no NLU is wired:
// exact utterances and patterns are definite, word overlap is probable.
type FallbackRecognizer struct {
	exact   map[string]string
	intents []fallbackIntent
	lang    lang.Language // for refusals; nil when the language is unknown
}

type fallbackIntent struct {
	name     string
	utts     []map[string]bool
	patterns [][]string
}

// NewFallbackRecognizer builds the fallback recognizer for a bot.
func NewFallbackRecognizer(b *botdef.Bot) (IntentRecognizer, error) {
	f := &FallbackRecognizer{exact: map[string]string{}}
	if l, err := lang.Get(b.Language); err == nil {
		f.lang = l
	}
	for _, in := range b.Intents {
		fi := fallbackIntent{name: in.Name}
		for _, u := range append([]string{in.Name}, in.Utterances...) {
			f.exact[normalize(u)] = in.Name
			fi.utts = append(fi.utts, wordSet(u))
		}
		for _, p := range in.Patterns {
			fi.patterns = append(fi.patterns, patternWords(p))
		}
		f.intents = append(f.intents, fi)
	}
	return f, nil
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(normalize(s)) {
		m[w] = true
	}
	return m
}

// patternWords keeps the literal words of a Kore pattern, in order.
func patternWords(p string) []string {
	var out []string
	out = append(out, strings.Fields(normalize(strings.NewReplacer("_", " ", "*", " ").Replace(p)))...)
	return out
}

// Recognize classifies text.
func (f *FallbackRecognizer) Recognize(text string) Recognition {
	norm := normalize(text)
	if in, ok := f.exact[norm]; ok {
		return Recognition{Status: StatusDefinite, Intent: in}
	}
	// As the NLU does: "I don't want to …" starts nothing.
	if n, ok := f.lang.(lang.WithNegation); ok && n.DeclinesDesire(text, f.lang.Tokenize(text)) {
		return Recognition{Status: StatusNone}
	}
	words := strings.Fields(norm)
	for _, fi := range f.intents {
		for _, p := range fi.patterns {
			if len(p) > 0 && inOrder(words, p) {
				return Recognition{Status: StatusDefinite, Intent: fi.name}
			}
		}
	}
	set := map[string]bool{}
	for _, w := range words {
		set[w] = true
	}
	best, second, bestName, secondName := 0.0, 0.0, "", ""
	for _, fi := range f.intents {
		score := 0.0
		for _, u := range fi.utts {
			shared := 0
			for w := range u {
				if set[w] {
					shared++
				}
			}
			if union := len(u) + len(set) - shared; union > 0 {
				score = max(score, float64(shared)/float64(union))
			}
		}
		switch {
		case score > best:
			second, secondName = best, bestName
			best, bestName = score, fi.name
		case score > second:
			second, secondName = score, fi.name
		}
	}
	switch {
	case best < 0.5:
		return Recognition{Status: StatusNone}
	case best-second <= 0.02:
		return Recognition{Status: StatusAmbiguous, Candidates: []string{bestName, secondName}}
	}
	return Recognition{Status: StatusProbable, Intent: bestName}
}

func inOrder(words, p []string) bool {
	j := 0
	for _, w := range words {
		if j < len(p) && w == p[j] {
			j++
		}
	}
	return j == len(p)
}

// FallbackExtractor handles the common entity types when the NLU package is
// not wired: list, string, description, number, currency, email, regex.
type FallbackExtractor struct{}

var (
	numberRe   = regexp.MustCompile(`-?\d[\d,]*(?:\.\d+)?`)
	currencyRe = regexp.MustCompile(`(?i)(\$|€|£|usd|eur|gbp)?\s*(\d[\d,]*(?:\.\d+)?)\s*(k\b|dollars?|euros?|pounds?|usd|eur|gbp|bucks)?`)
	emailFind  = regexp.MustCompile(`[^@\s]+@[^@\s]+\.[A-Za-z]{2,}`)
)

// Extract implements EntityExtractor.
func (FallbackExtractor) Extract(def *botdef.EntityDef, text string, _ time.Time) (EntityMatch, bool) {
	switch def.Type {
	case "string", "description":
		return extractText(text)
	case "list":
		return extractList(def, text)
	case "number":
		return extractNumber(text)
	case "currency":
		return extractCurrency(text)
	case "email":
		return extractEmail(text)
	case "regex", "custom":
		return extractRegex(def, text)
	}
	return EntityMatch{}, false
}

// extractText takes the whole text, trimmed of surrounding space.
func extractText(text string) (EntityMatch, bool) {
	t := strings.TrimSpace(text)
	if t == "" {
		return EntityMatch{}, false
	}
	start := strings.Index(text, t)
	return EntityMatch{Value: t, Start: start, End: start + len(t)}, true
}

// extractNumber finds the first number, thousands separators allowed.
func extractNumber(text string) (EntityMatch, bool) {
	loc := numberRe.FindStringIndex(text)
	if loc == nil {
		return EntityMatch{}, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(text[loc[0]:loc[1]], ",", ""), 64)
	if err != nil {
		return EntityMatch{}, false
	}
	return EntityMatch{Value: f, Start: loc[0], End: loc[1]}, true
}

// extractCurrency finds the first amount, with its currency read from a
// symbol or unit around it (USD when none is given).
func extractCurrency(text string) (EntityMatch, bool) {
	for _, m := range currencyRe.FindAllStringSubmatchIndex(text, -1) {
		amt, err := strconv.ParseFloat(strings.ReplaceAll(text[m[4]:m[5]], ",", ""), 64)
		if err != nil {
			continue
		}
		sym := ""
		if m[2] >= 0 {
			sym = strings.ToLower(text[m[2]:m[3]])
		}
		unit := ""
		if m[6] >= 0 {
			unit = strings.ToLower(text[m[6]:m[7]])
		}
		if unit == "k" {
			amt *= 1000
		}
		return EntityMatch{Value: map[string]any{"code": currencyCode(sym, unit), "amount": amt}, Start: m[0], End: m[1]}, true
	}
	return EntityMatch{}, false
}

// currencyCode names the currency of a lower-cased symbol and unit.
func currencyCode(sym, unit string) string {
	switch {
	case sym == "€" || sym == "eur" || strings.HasPrefix(unit, "euro") || unit == "eur":
		return "EUR"
	case sym == "£" || sym == "gbp" || strings.HasPrefix(unit, "pound") || unit == "gbp":
		return "GBP"
	}
	return "USD"
}

// extractEmail finds the first email address.
func extractEmail(text string) (EntityMatch, bool) {
	if loc := emailFind.FindStringIndex(text); loc != nil {
		return EntityMatch{Value: text[loc[0]:loc[1]], Start: loc[0], End: loc[1]}, true
	}
	return EntityMatch{}, false
}

// extractRegex finds the entity's pattern; the value is its first group
// when that matched, else the whole match.
func extractRegex(def *botdef.EntityDef, text string) (EntityMatch, bool) {
	re, err := regexp.Compile(def.Regex)
	if err != nil {
		return EntityMatch{}, false
	}
	m := re.FindStringSubmatchIndex(text)
	if m == nil {
		return EntityMatch{}, false
	}
	if len(m) >= 4 && m[2] >= 0 {
		return EntityMatch{Value: text[m[2]:m[3]], Start: m[2], End: m[3]}, true
	}
	return EntityMatch{Value: text[m[0]:m[1]], Start: m[0], End: m[1]}, true
}

// extractList finds the earliest value or synonym, whole words only.
func extractList(def *botdef.EntityDef, text string) (EntityMatch, bool) {
	lower := strings.ToLower(text)
	best := EntityMatch{Start: -1}
	for _, v := range def.Values {
		for _, cand := range append([]string{v.Value, v.Title}, v.Synonyms...) {
			c := strings.ToLower(strings.TrimSpace(cand))
			if c == "" {
				continue
			}
			for off := 0; off < len(lower); {
				i := strings.Index(lower[off:], c)
				if i < 0 {
					break
				}
				s, e := off+i, off+i+len(c)
				if wordBoundary(lower, s, e) && (best.Start < 0 || s < best.Start || (s == best.Start && e > best.End)) {
					best = EntityMatch{Value: v.Value, Start: s, End: e}
				}
				off = e
			}
		}
	}
	return best, best.Start >= 0
}

func wordBoundary(s string, start, end int) bool {
	isWord := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
	}
	return (start == 0 || !isWord(s[start-1])) && (end == len(s) || !isWord(s[end]))
}
