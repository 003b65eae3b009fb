// Package lang holds the language-specific parts of Parley's NLU: text
// normalisation, tokenisation, stemming and stop words.
//
// A language plugs in by implementing [Language] and calling [Register]; the
// classifier, the pattern matcher and the spelling corrector only ever see
// the tokens and stems a Language produces, so adding a language never
// touches them. English is built in.
//
// Normalisation is Unicode NFKC followed by full case folding, so that
// full-width letters, ligatures, "ß"/"ss" and upper/lower case compare equal.
// Typographic apostrophes become ASCII ones before tokenising, because users
// type both and "don’t" must mean "don't".
package lang

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/nlu/embed"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Token is one word of an utterance. Text is normalised (NFKC, case-folded);
// Start and End are byte offsets into the original, un-normalised input so
// callers can report spans the user recognises.
type Token struct {
	Text  string
	Start int
	End   int
}

// Language is what a language contributes to the NLU.
type Language interface {
	// Code is the language code, e.g. "en".
	Code() string
	// Tokenize splits s into normalised word tokens. It must accept any
	// byte string (including invalid UTF-8) without panicking.
	Tokenize(s string) []Token
	// Stem reduces a normalised token to its stem.
	Stem(word string) string
	// IsStopWord reports whether a normalised token carries little meaning.
	IsStopWord(word string) bool
}

// WithVectors is implemented by a language that ships pre-trained word
// vectors; the classifier then adds the mean vector of an utterance's words
// to its features. A language without vectors still works, with n-grams
// alone.
type WithVectors interface {
	Vectors() (*embed.Table, error)
}

var (
	mu       sync.RWMutex
	registry = map[string]Language{}
)

// Register makes a language available to [Get]. A later registration of the
// same code replaces the earlier one, which lets a bot owner override the
// built-in English.
func Register(l Language) {
	mu.Lock()
	defer mu.Unlock()
	registry[strings.ToLower(l.Code())] = l
}

// Get returns the language registered for code; "" means English.
func Get(code string) (Language, error) {
	if code == "" {
		code = "en"
	}
	code = strings.ToLower(code)
	if i := strings.IndexAny(code, "-_"); i > 0 { // "en-US" → "en"
		code = code[:i]
	}
	mu.RLock()
	defer mu.RUnlock()
	l, ok := registry[code]
	if !ok {
		return nil, fmt.Errorf("language %q is not supported (have %s)", code, strings.Join(codesLocked(), ", "))
	}
	return l, nil
}

func codesLocked() []string {
	out := make([]string, 0, len(registry))
	for c := range registry {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

var folder = cases.Fold()

// Normalize applies NFKC, full case folding and apostrophe unification.
func Normalize(s string) string {
	if isASCII(s) { // fast path: NFKC and folding are plain lower-casing here
		return asciiLower(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	s = norm.NFKC.String(s)
	s = folder.String(s)
	return strings.NewReplacer("’", "'", "‘", "'", "`", "'", "´", "'").Replace(s)
}

// LowerKeepOffsets lower-cases every letter whose lower case has the same
// UTF-8 length (all of Latin-1: "MAÑANA", "ÉTÉ"), so that byte offsets into
// the result are offsets into s; invalid bytes are kept as they are.
func LowerKeepOffsets(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
		} else {
			if l := unicode.ToLower(r); utf8.RuneLen(l) == size {
				r = l
			}
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isWordRune reports whether r can be part of a word token.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// SplitWords is the generic tokeniser for space-delimited languages: runs of
// letters, digits and combining marks, with an apostrophe kept when it sits
// between two word characters ("don't", "o'clock"). Each word is normalised
// separately so offsets map back to the original string exactly.
func SplitWords(s string) []Token {
	var toks []Token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if t := Normalize(s[start:end]); t != "" {
				toks = append(toks, Token{Text: t, Start: start, End: end})
			}
			start = -1
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r != utf8.RuneError && isWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0 && (r == '\'' || r == '’') && i+size < len(s):
			next, _ := utf8.DecodeRuneInString(s[i+size:])
			if next == utf8.RuneError || !isWordRune(next) {
				flush(i)
			}
		default:
			flush(i)
		}
		i += size
	}
	flush(len(s))
	return toks
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c == '`' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				} else if b[j] == '`' {
					b[j] = '\''
				}
			}
			return string(b)
		}
	}
	return s
}
