package nlu

import (
	"testing"

	"github.com/parleyhq/parley/services/dialog/nlu/lang"
)

func TestPatternMatch(t *testing.T) {
	tp := newTextProc(lang.English{}, map[string][]string{"buy": {"purchase", "get hold of"}})
	concepts := map[string][][]string{"color": {{"red"}, {"dark", "blue"}}}
	tests := []struct {
		pattern string
		text    string
		want    bool
	}{
		{"book flight", "book a cheap flight", true},                   // up to 3 gap words
		{"book flight", "book a really very cheap flight", false},      // 4 gap words
		{"book * flight", "book a really very cheap flight", true},     // any number
		{"book *1 flight", "book a flight", true},                      // exactly one
		{"book *1 flight", "book flight", false},                       // exactly one, none given
		{"book *~2 flight", "book flight", true},                       // up to two
		{"book *~2 flight", "book one two three flight", false},        // more than two
		{"book {cheap} flight", "book flight", true},                   // optional absent
		{"[book reserve] flight", "reserve flight", true},              // one of
		{"[book reserve] flight", "cancel flight", false},              // none of
		{"< hello", "hello there", true},                               // start anchor
		{"< hello", "well hello", false},                               // not at start
		{"thanks >", "many thanks", true},                              // end anchor
		{"thanks >", "thanks a lot", true},                             // end within 3 gap words
		{"thanks *0 >", "thanks a lot", false},                         // no gap allowed
		{"buy car", "I want to purchase a car", true},                  // synonym
		{"buy car", "I want to get hold of a car", true},               // multi-word synonym
		{"paint ~color", "paint it dark blue", true},                   // concept phrase
		{"paint ~color", "paint it green", false},                      // not in concept
		{"book flight !cancel", "book a flight", true},                 // negation absent
		{"book flight !cancel", "book a flight then cancel it", false}, // negation present
		{"booking flights", "book a flight", true},                     // stemming
		{"new_york", "fly to new york", true},                          // compound
		{"new_york", "new big york", false},                            // compound words adjacent
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"/"+tt.text, func(t *testing.T) {
			p, err := compilePattern(tt.pattern, 0, tp, concepts)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			a := tp.analyse(tt.text, false)
			if got := p.match(a.stems); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	tp := newTextProc(lang.English{}, nil)
	for _, src := range []string{"", "*", "[a b", "a ]", "{x}", "*x", "*~y", "~missing", "[ ]", "*999"} {
		if _, err := compilePattern(src, 0, tp, nil); err == nil {
			t.Errorf("compilePattern(%q) succeeded", src)
		}
	}
}

func TestSpeller(t *testing.T) {
	sp := newSpeller(map[string]int{"account": 3, "password": 2, "delete": 1, "deletes": 1, "cat": 1, "cots": 1})
	tests := []struct{ in, want string }{
		{"acount", "account"},    // deletion
		{"passwrod", "password"}, // transposition (2 edits, long word)
		{"pasword", "password"},
		{"delet", "delete"}, // tie delete/deletes broken by distance
		{"cott", "cott"},    // too short to correct
		{"zzzzzz", "zzzzzz"},
		{"account", "account"},
		{"acc0unt", "acc0unt"}, // not alphabetic
	}
	for _, tt := range tests {
		if got := sp.correct(tt.in); got != tt.want {
			t.Errorf("correct(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
