package entity

import "testing"

// TestTwoDigitYears pins how a two-digit year is read: 00–69 are this
// century and 70–99 the last (the POSIX and Go convention), so a card's
// "12/25/25" is 2025, not 1925. Both sides of the pivot are checked, so
// moving it either way fails.
func TestTwoDigitYears(t *testing.T) {
	us := ref(t)
	gb := us
	gb.Region = "GB"
	tests := []struct {
		text string
		ref  Reference
		want string
	}{
		{"12/25/25", us, `"2025-12-25"`},
		{"due 12/25/25.", us, `"2025-12-25"`},
		{"25/12/25", gb, `"2025-12-25"`},
		{"25.12.25", us, `"2025-12-25"`},
		{"1-2-25", us, `"2025-01-02"`},
		{"12/25/00", us, `"2000-12-25"`},
		{"3/4/09", us, `"2009-03-04"`},
		{"3/4/30", us, `"2030-03-04"`},
		{"1/2/69", us, `"2069-01-02"`},
		{"1/2/70", us, `"1970-01-02"`},
		{"born 7/4/85", us, `"1985-07-04"`},
		{"12/25/99", us, `"1999-12-25"`},
		{"12/25/2025", us, `"2025-12-25"`},
		{"12/25/1925", us, `"1925-12-25"`},
		{"2/29/24", us, `"2024-02-29"`},
		{"2/29/25", us, ``}, // not a leap year
	}
	for _, tt := range tests {
		m, ok := Extract(Spec{Type: Date}, tt.text, tt.ref)
		switch {
		case tt.want == "" && ok:
			t.Errorf("Extract(%q) = %s, want no date", tt.text, jsonOf(m.Value))
		case tt.want != "" && !ok:
			t.Errorf("Extract(%q): no date, want %s", tt.text, tt.want)
		case ok && jsonOf(m.Value) != tt.want:
			t.Errorf("Extract(%q) = %s, want %s", tt.text, jsonOf(m.Value), tt.want)
		}
	}
}

// TestCurrencySymbolPlacement checks that a currency symbol keeps its
// currency wherever it is written: before the amount ("₹500"), right
// after it ("20€") or after a space ("15 £"), and that the matched text
// spans both.
func TestCurrencySymbolPlacement(t *testing.T) {
	r := ref(t)
	tests := []struct {
		text, code string
		amount     float64
		match      string
	}{
		{"20€", "EUR", 20, "20€"},
		{"pay 20€ now", "EUR", 20, "20€"},
		{"20 €", "EUR", 20, "20 €"},
		{"€20", "EUR", 20, "€20"},
		{"15 £", "GBP", 15, "15 £"},
		{"15 £ please", "GBP", 15, "15 £"},
		{"15£", "GBP", 15, "15£"},
		{"₹500", "INR", 500, "₹500"},
		{"500₹", "INR", 500, "500₹"},
		{"500 ₹", "INR", 500, "500 ₹"},
		{"¥300", "JPY", 300, "¥300"},
		{"300¥", "JPY", 300, "300¥"},
		{"300 ¥ only", "JPY", 300, "300 ¥"},
		{"20$", "USD", 20, "20$"},
		{"5 ₩", "KRW", 5, "5 ₩"},
		{"99₽", "RUB", 99, "99₽"},
		{"40 ₺", "TRY", 40, "40 ₺"},
		{"70₪", "ILS", 70, "70₪"},
		{"12 US$", "USD", 12, "12 US$"},
		{"12 HK$", "HKD", 12, "12 HK$"},
		{"12 R$", "BRL", 12, "12 R$"},
		{"12 A$", "AUD", 12, "12 A$"},
		{"12 C$", "CAD", 12, "12 C$"},
		{"12 S$", "SGD", 12, "12 S$"},
	}
	for _, tt := range tests {
		m, ok := Extract(Spec{Type: Currency}, tt.text, r)
		if !ok {
			t.Errorf("Extract(%q): no amount, want %s", tt.text, tt.code)
			continue
		}
		v, _ := m.Value.(map[string]any)
		if v["code"] != tt.code || v["amount"] != tt.amount || m.Text != tt.match {
			t.Errorf("Extract(%q) = %s from %q, want %v %s from %q", tt.text, jsonOf(m.Value), m.Text, tt.amount, tt.code, tt.match)
		}
	}
}
