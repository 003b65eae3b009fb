package engine

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// Kore's ~yes and ~no concepts, broadened (reference §3.1).
var (
	yesPhrases = []string{
		"yes", "yeah", "yea", "yep", "yup", "ya", "yes please", "ok", "okay", "k", "sure", "of course",
		"absolutely", "correct", "right", "y", "affirmative", "certainly", "definitely", "indeed",
		"go ahead", "please do", "do it", "confirm", "confirmed", "sounds good", "that's right",
		"thats right", "alright", "all right", "fine", "agreed", "i agree", "true", "👍",
	}
	noPhrases = []string{
		"no", "nope", "nah", "never", "not really", "no thanks", "no thank you", "n", "negative",
		"of course not", "absolutely not", "certainly not", "definitely not", "not at all", "no way",
		"don't", "do not", "dont", "not now", "wrong", "incorrect", "false", "👎",
	}
	yesSet, noSet = phraseSet(yesPhrases), phraseSet(noPhrases)
)

func phraseSet(ps []string) map[string]bool {
	m := map[string]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// maxPhrase is the longest phrase in words.
const maxPhrase = 3

// confirm reads a yes/no answer: the earliest phrase in the utterance wins,
// and at one position the longest ("of course not" is no).
func confirm(n *node, text string) string {
	words := strings.Fields(normalize(text))
	for i := range words {
		for l := min(maxPhrase, len(words)-i); l >= 1; l-- {
			p := strings.Join(words[i:i+l], " ")
			isNo := noSet[p] || n.no[p]
			isYes := yesSet[p] || n.yes[p]
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

var smallTalk = map[string]string{
	"hi": "greeting", "hello": "greeting", "hey": "greeting", "hiya": "greeting", "howdy": "greeting",
	"good morning": "greeting", "good afternoon": "greeting", "good evening": "greeting", "hi there": "greeting",
	"hello there": "greeting", "hey there": "greeting", "greetings": "greeting", "hola": "greeting",
	"thanks": "thanks", "thank you": "thanks", "thx": "thanks", "thank you very much": "thanks",
	"thanks a lot": "thanks", "many thanks": "thanks", "cheers": "thanks", "ty": "thanks",
	"bye": "goodbye", "goodbye": "goodbye", "good bye": "goodbye", "see you": "goodbye",
	"see you later": "goodbye", "good night": "goodbye", "bye bye": "goodbye", "later": "goodbye",
}

// smallTalkKind recognises a whole-utterance greeting, thanks or goodbye
// (with an optional trailing "bot"); a greeting in a real request is not
// small talk.
func smallTalkKind(norm string) string {
	if k, ok := smallTalk[norm]; ok {
		return k
	}
	return smallTalk[strings.TrimSuffix(norm, " bot")]
}

// FallbackRecognizer is a small intent matcher used when no NLU is wired:
// exact utterances and patterns are definite, word overlap is probable.
type FallbackRecognizer struct {
	exact   map[string]string
	intents []fallbackIntent
}

type fallbackIntent struct {
	name     string
	utts     []map[string]bool
	patterns [][]string
}

// NewFallbackRecognizer builds the fallback recognizer for a bot.
func NewFallbackRecognizer(b *botdef.Bot) (IntentRecognizer, error) {
	f := &FallbackRecognizer{exact: map[string]string{}}
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
	for _, w := range strings.Fields(normalize(strings.NewReplacer("_", " ", "*", " ").Replace(p))) {
		out = append(out, w)
	}
	return out
}

// Recognize classifies text.
func (f *FallbackRecognizer) Recognize(text string) Recognition {
	norm := normalize(text)
	if in, ok := f.exact[norm]; ok {
		return Recognition{Status: StatusDefinite, Intent: in}
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
		t := strings.TrimSpace(text)
		if t == "" {
			return EntityMatch{}, false
		}
		start := strings.Index(text, t)
		return EntityMatch{Value: t, Start: start, End: start + len(t)}, true
	case "list":
		return extractList(def, text)
	case "number":
		loc := numberRe.FindStringIndex(text)
		if loc == nil {
			return EntityMatch{}, false
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(text[loc[0]:loc[1]], ",", ""), 64)
		if err != nil {
			return EntityMatch{}, false
		}
		return EntityMatch{Value: f, Start: loc[0], End: loc[1]}, true
	case "currency":
		for _, m := range currencyRe.FindAllStringSubmatchIndex(text, -1) {
			amt, err := strconv.ParseFloat(strings.ReplaceAll(text[m[4]:m[5]], ",", ""), 64)
			if err != nil {
				continue
			}
			code := "USD"
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
			switch {
			case sym == "€" || sym == "eur" || strings.HasPrefix(unit, "euro") || unit == "eur":
				code = "EUR"
			case sym == "£" || sym == "gbp" || strings.HasPrefix(unit, "pound") || unit == "gbp":
				code = "GBP"
			}
			return EntityMatch{Value: map[string]any{"code": code, "amount": amt}, Start: m[0], End: m[1]}, true
		}
	case "email":
		if loc := emailFind.FindStringIndex(text); loc != nil {
			return EntityMatch{Value: text[loc[0]:loc[1]], Start: loc[0], End: loc[1]}, true
		}
	case "regex", "custom":
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
	return EntityMatch{}, false
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
