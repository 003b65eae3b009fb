package lang

import (
	"strings"

	"github.com/kljensen/snowball/english"

	"github.com/parleyhq/parley/nlu/embed"
)

func init() { Register(English{}) }

// English is the built-in English language: the generic word splitter, the
// Snowball (Porter2) stemmer and the Snowball stop-word list.
type English struct{}

// Code implements [Language].
func (English) Code() string { return "en" }

// Tokenize implements [Language]. Clitics are split off so that "what's"
// and "what is" share the token "what"; "n't" becomes "not" because
// negation carries meaning for intents.
func (English) Tokenize(s string) []Token {
	toks := SplitWords(s)
	out := toks[:0:0]
	for _, t := range toks {
		i := strings.IndexByte(t.Text, '\'')
		if i <= 0 {
			out = append(out, t)
			continue
		}
		head, tail := t.Text[:i], t.Text[i:]
		switch tail {
		case "'t":
			if strings.HasSuffix(head, "n") && len(head) > 1 { // don't, can't
				stem := head[:len(head)-1]
				switch stem {
				case "ca":
					stem = "can"
				case "wo":
					stem = "will"
				}
				out = append(out, Token{Text: stem, Start: t.Start, End: t.End}, Token{Text: "not", Start: t.Start, End: t.End})
				continue
			}
		case "'s", "'re", "'ve", "'ll", "'d", "'m":
			out = append(out, Token{Text: head, Start: t.Start, End: t.End})
			continue
		}
		out = append(out, t)
	}
	return out
}

// Stem implements [Language].
func (English) Stem(word string) string {
	if len(word) <= 2 {
		return word
	}
	return english.Stem(word, true)
}

// IsStopWord implements [Language].
func (English) IsStopWord(word string) bool { return english.IsStopWord(word) }

// Vectors returns the built-in English word vectors (GloVe, see package
// embed).
func (English) Vectors() (*embed.Table, error) { return embed.English() }
