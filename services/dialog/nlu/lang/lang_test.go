package lang

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEnglishTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Book a FLIGHT!", []string{"book", "a", "flight"}},
		{"What's the time?", []string{"what", "the", "time"}},
		{"I don’t know", []string{"i", "do", "not", "know"}},
		{"can't won't", []string{"can", "not", "will", "not"}},
		{"ＦＵＬＬ width", []string{"full", "width"}},
		{"Straße", []string{"strasse"}},
		{"e-mail rock'n'roll", []string{"e", "mail", "rock'n'roll"}},
		{"café 42", []string{"café", "42"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, tok := range (English{}).Tokenize(tt.in) {
				got = append(got, tok.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenOffsets(t *testing.T) {
	in := "  Hello, Wörld "
	toks := SplitWords(in)
	if len(toks) != 2 || in[toks[0].Start:toks[0].End] != "Hello" || in[toks[1].Start:toks[1].End] != "Wörld" {
		t.Fatalf("offsets wrong: %+v", toks)
	}
}

func TestStemAndStopWords(t *testing.T) {
	e := English{}
	for in, want := range map[string]string{"booking": "book", "flights": "flight", "cancelled": "cancel", "is": "is"} {
		if got := e.Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
	if !e.IsStopWord("the") || e.IsStopWord("flight") {
		t.Error("stop words wrong")
	}
}

func TestGet(t *testing.T) {
	for _, code := range []string{"", "en", "EN", "en-US", "en_GB"} {
		if l, err := Get(code); err != nil || l.Code() != "en" {
			t.Errorf("Get(%q) = %v, %v", code, l, err)
		}
	}
	if _, err := Get("tlh"); err == nil {
		t.Error("Get(tlh) succeeded")
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Hello world", "don't", "'''", "a'", "\xff\xfe", "ﬁ ligature", "İstanbul", "x\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prev := 0
		for _, tok := range (English{}).Tokenize(s) {
			if tok.Start < prev || tok.Start >= tok.End || tok.End > len(s) {
				t.Fatalf("bad offsets %+v (previous start %d) in %q", tok, prev, s)
			}
			if tok.Text == "" || !utf8.ValidString(tok.Text) {
				t.Fatalf("bad token text %q in %q", tok.Text, s)
			}
			prev = tok.Start
		}
	})
}
