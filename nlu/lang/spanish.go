package lang

import "github.com/kljensen/snowball/spanish"

func init() { Register(Spanish{}) }

// Spanish is the built-in Spanish language: the generic word splitter
// (inverted marks such as "¿" and "¡" are not word characters), the Snowball
// Spanish stemmer, which also drops acute accents so that "cómo" and a
// hurried "como" meet, and the Snowball Spanish stop words. It ships no word
// vectors; the classifier then uses n-grams alone.
type Spanish struct{}

// Code implements [Language].
func (Spanish) Code() string { return "es" }

// Tokenize implements [Language].
func (Spanish) Tokenize(s string) []Token { return SplitWords(s) }

// Stem implements [Language].
func (Spanish) Stem(word string) string {
	if len(word) <= 2 {
		return word
	}
	return spanish.Stem(word, true)
}

// IsStopWord implements [Language].
func (Spanish) IsStopWord(word string) bool { return spanish.IsStopWord(word) }
