package lang

import (
	"strings"
	"unicode/utf8"

	"github.com/kljensen/snowball/french"
)

func init() { Register(French{}) }

// French is the built-in French language: the generic word splitter with
// elisions split off ("l'argent" is "le argent", "qu'il" is "que il"), the
// Snowball French stemmer and the Snowball French stop words. It ships no
// word vectors; the classifier then uses n-grams alone.
type French struct{}

// Code implements [Language].
func (French) Code() string { return "fr" }

// elided maps the elided head of a word to the full word it stands for, so
// that "d'un" and "de un" give the classifier the same tokens.
var elided = map[string]string{
	"l": "le", "d": "de", "j": "je", "m": "me", "t": "te", "s": "se",
	"c": "ce", "n": "ne", "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque",
	"puisqu": "puisque", "quoiqu": "quoique",
}

// Tokenize implements [Language]. Words such as "aujourd'hui" whose head is
// not an elision stay whole.
func (French) Tokenize(s string) []Token {
	toks := SplitWords(s)
	out := toks[:0:0]
	for _, t := range toks {
		head, rest, found := strings.Cut(t.Text, "'")
		full, ok := elided[head]
		// The original may spell the apostrophe in three bytes ("’"), so
		// the split point is found in the original text.
		cut := strings.IndexAny(s[t.Start:t.End], "'’")
		if !found || !ok || rest == "" || cut < 0 {
			out = append(out, t)
			continue
		}
		cut += t.Start
		_, size := utf8.DecodeRuneInString(s[cut:])
		out = append(out,
			Token{Text: full, Start: t.Start, End: cut},
			Token{Text: rest, Start: cut + size, End: t.End})
	}
	return out
}

// Stem implements [Language].
func (French) Stem(word string) string {
	if len(word) <= 2 {
		return word
	}
	return french.Stem(word, true)
}

// IsStopWord implements [Language].
func (French) IsStopWord(word string) bool { return french.IsStopWord(word) }
