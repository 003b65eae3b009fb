package engine

import (
	"strings"
	"testing"
)

func TestSplitIntents(t *testing.T) {
	en, es, fr := vocabularyFor("en"), vocabularyFor("es"), vocabularyFor("fr")
	tests := []struct {
		v    compiledVocabulary
		text string
		want []string
	}{
		{en, "paint the wall red and then count", []string{"paint the wall red", "count"}},
		{en, "Count, but before that paint it blue.", []string{"paint it blue", "Count"}},
		{en, "paint it then count then other thing", []string{"paint it", "count", "other thing"}},
		{en, "strengthen the wall", []string{"strengthen the wall"}}, // "then" inside a word
		{en, "pay later", []string{"pay"}},
		{en, "transfer to my second account", []string{"transfer to my second account"}}, // an ordinal, not a cue
		{es, "Pinta la pared y luego cuenta", []string{"Pinta la pared", "cuenta"}},
		{es, "cuenta, pero antes de eso PINTA", []string{"PINTA", "cuenta"}},
		{fr, "peins le mur puis compte", []string{"peins le mur", "compte"}},
		{fr, "ÉCRIS ensuite compte", []string{"ÉCRIS", "compte"}}, // offsets survive upper-case accents
	}
	for _, tt := range tests {
		if got := splitIntents(tt.text, tt.v); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitIntents(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// FuzzSplitIntents: any utterance splits into non-empty parts, each a
// piece of the utterance, in every language's cues.
func FuzzSplitIntents(f *testing.F) {
	for _, s := range []string{"a and then b", "x, but before that y", "ÉCRIS ensuite compte", "then then", "\xff then \xfe", "İ then"} {
		f.Add(s)
	}
	vs := []compiledVocabulary{vocabularyFor("en"), vocabularyFor("es"), vocabularyFor("fr")}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range vs {
			for _, p := range splitIntents(s, v) {
				if p == "" || !strings.Contains(s, p) {
					t.Fatalf("part %q of %q", p, s)
				}
			}
		}
	})
}
