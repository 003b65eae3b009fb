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

func TestSpanishAndFrench(t *testing.T) {
	tests := []struct {
		lang Language
		in   string
		want []string // tokens
	}{
		{Spanish{}, "¿Cuál es mi SALDO?", []string{"cuál", "es", "mi", "saldo"}},
		{Spanish{}, "¡Quiero transferir 50 euros!", []string{"quiero", "transferir", "50", "euros"}},
		{French{}, "Je voudrais l'argent d'un compte", []string{"je", "voudrais", "le", "argent", "de", "un", "compte"}},
		{French{}, "Qu’il vienne aujourd'hui", []string{"que", "il", "vienne", "aujourd'hui"}},
		{French{}, "jusqu'à l'été", []string{"jusque", "à", "le", "été"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang.Code()+" "+tt.in, func(t *testing.T) {
			var got []string
			for _, tok := range tt.lang.Tokenize(tt.in) {
				got = append(got, tok.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// An elision's two tokens point at the two halves of the original word,
	// whichever apostrophe it was typed with.
	in := "L’argent"
	toks := (French{}).Tokenize(in)
	if len(toks) != 2 || in[toks[0].Start:toks[0].End] != "L" || in[toks[1].Start:toks[1].End] != "argent" {
		t.Errorf("elision offsets wrong: %+v", toks)
	}

	// Inflections of one word meet at one stem; accents typed or not too.
	sameStem := []struct {
		lang  Language
		words []string
	}{
		{Spanish{}, []string{"transferir", "transferimos", "transferido"}},
		{Spanish{}, []string{"pagar", "pagos", "pagué"}},
		{Spanish{}, []string{"cómo", "como"}},
		{Spanish{}, []string{"cuentas", "cuenta"}},
		{French{}, []string{"virement", "virements"}},
		{French{}, []string{"réserver", "réservez", "réservation"}},
	}
	for _, tt := range sameStem {
		first := tt.lang.Stem(tt.words[0])
		for _, w := range tt.words[1:] {
			if got := tt.lang.Stem(w); got != first {
				t.Errorf("%s: Stem(%q) = %q, Stem(%q) = %q; want one stem", tt.lang.Code(), tt.words[0], first, w, got)
			}
		}
	}
	if !(Spanish{}).IsStopWord("el") || (Spanish{}).IsStopWord("saldo") {
		t.Error("Spanish stop words wrong")
	}
	if !(French{}).IsStopWord("le") || (French{}).IsStopWord("compte") {
		t.Error("French stop words wrong")
	}
	for code, want := range map[string]string{"es-MX": "es", "fr_CA": "fr", "FR": "fr"} {
		if l, err := Get(code); err != nil || l.Code() != want {
			t.Errorf("Get(%q) = %v, %v; want %s", code, l, err, want)
		}
	}
}

// FuzzTokenize checks every registered language's tokenizer: any input,
// valid UTF-8 or not, gives non-empty valid tokens whose offsets lie inside
// the input, in order.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Hello world", "don't", "'''", "a'", "\xff\xfe", "ﬁ ligature", "İstanbul", "x\u0301",
		"l'été", "qu’", "d'l'x", "ＬＡ'ｘ", "¿qué?"} {
		f.Add(s)
	}
	mu.RLock()
	var langs []Language
	for _, code := range codesLocked() {
		langs = append(langs, registry[code])
	}
	mu.RUnlock()
	f.Fuzz(func(t *testing.T, s string) {
		if low := LowerKeepOffsets(s); len(low) != len(s) {
			t.Fatalf("LowerKeepOffsets(%q) = %q: %d bytes, want %d", s, low, len(low), len(s))
		}
		for _, l := range langs {
			prev := 0
			for _, tok := range l.Tokenize(s) {
				if tok.Start < prev || tok.Start >= tok.End || tok.End > len(s) {
					t.Fatalf("%s: bad offsets %+v (previous start %d) in %q", l.Code(), tok, prev, s)
				}
				if tok.Text == "" || !utf8.ValidString(tok.Text) {
					t.Fatalf("%s: bad token text %q in %q", l.Code(), tok.Text, s)
				}
				prev = tok.Start
			}
			if n, ok := l.(WithNegation); ok {
				n.DeclinesDesire(s, l.Tokenize(s))
			}
		}
	})
}
