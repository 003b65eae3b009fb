package nlu

import (
	"testing"

	"github.com/parleyhq/parley/nlu/lang"
)

func TestPatternMatch(t *testing.T) {
	tp := newTextProc(lang.English{}, map[string][]string{"buy": {"purchase", "get hold of"}})
	concepts := map[string][][]string{"color": {{"red"}, {"dark", "blue"}}, "verbs": {{"book"}, {"reserv"}}}
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
		{"(book flight)", "book a flight", true},                       // sub-pattern
		{"(book flight)", "flight book", false},                        // in order
		{"[(book flight) (reserve seat)] now", "reserve a seat now", true},
		{"[(book flight) (reserve seat)] now", "book a seat now", false}, // not mixed
		{"[(book flight) (reserve seat)] now", "book my flight now", true},
		{"{(very cheap)} flight", "a flight", true},                   // optional sub-pattern absent
		{"{(very cheap)} flight", "very cheap flight", true},          // present
		{"(book|reserve) flight", "reserve a flight", true},           // (a|b) is a choice
		{"[book|reserve] flight", "reserve a flight", true},           // and [a|b] is [a b]
		{"(book a|reserve) flight", "book flight", false},             // an alternative that is a sequence
		{"(book a|reserve) flight", "book a flight", true},            //
		{"<< delete account >>", "my account please delete it", true}, // any order
		{"<< delete account >>", "delete it", false},
		{"<< [manage delete reactivate] [account connection] >>", "I want to reactivate my connection", true},
		{"< << hi bot >>", "bot says hi", true},             // << >> keeps the position
		{"book !!cheap flight", "book cheap flight", false}, // not next
		{"book !!cheap flight", "book a cheap flight", true},
		{"'booking", "I have a booking", true}, // literal: no stemming
		{"'booking", "I want to book", false},
		{"booking", "I want to book", true},
		{"book~verbs it", "book it", true},      // member of a bot concept
		{"drink~beverages", "a drink", true},    // a concept the bot lacks is not checked
		{"_book flight", "book a flight", true}, // "do not mark" has no effect
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"/"+tt.text, func(t *testing.T) {
			p, err := compilePattern(tt.pattern, 0, tp, concepts)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			a := tp.analyse(tt.text, false)
			present := map[string]struct{}{}
			for _, st := range a.stems {
				present[st] = struct{}{}
			}
			if got := p.match(a, present); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	tp := newTextProc(lang.English{}, nil)
	for _, src := range []string{"", "*", "[a b", "a ]", "{x}", "*x", "*~y", "~missing", "[ ]", "*999",
		"(", "( )", "(a", "a )", "<< >>", "<< a", "a >>", "[ * ]", "[ < ]", "[a [b]]", "(a|)", "(|a)", "<< * >>",
		"fly~verbs", "!!", "'", "{(a)}", "[(a b) (c d)] [(e f) (g h)] [(i j) (k l)] [(m n) (o p)] [(q r) (s t)] [(u v) (w x)] [(y z) (a b)]"} {
		if _, err := compilePattern(src, 0, tp, map[string][][]string{"verbs": {{"book"}}}); err == nil {
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

// FuzzPattern: any pattern source compiles or is refused with an error, and
// a compiled pattern matches any utterance without panicking.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"book * flight", "[(a b) c] {d} << e f >> !g !!h 'i j~k", "(a|b c)", "< *~2 x >", "((a))", "[a (b [c])]"} {
		f.Add(s, "book a cheap flight to new york")
	}
	tp := newTextProc(lang.English{}, map[string][]string{"buy": {"purchase"}})
	concepts := map[string][][]string{"k": {{"j"}}}
	f.Fuzz(func(t *testing.T, src, text string) {
		p, err := compilePattern(src, 0, tp, concepts)
		if err != nil {
			return
		}
		if len(p.variants) == 0 || len(p.variants) > maxVariants {
			t.Fatalf("%q compiled to %d variants", src, len(p.variants))
		}
		a := tp.analyse(text, false)
		present := map[string]struct{}{}
		for _, st := range a.stems {
			present[st] = struct{}{}
		}
		matched := p.match(a, present)
		start, end, ok := p.span(a, present)
		if ok != matched || (ok && (start < 0 || start > end || end > len(a.stems))) {
			t.Fatalf("%q on %q: match %v, span %d..%d %v", src, text, matched, start, end, ok)
		}
	})
}
