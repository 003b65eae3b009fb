package entity

import "testing"

// Spanish and French words for numbers and dates, against the reference
// Wednesday 2025-03-05 (see ref); English readings of the same texts are
// checked too, so a bot language is what turns them on.
func TestSpanishAndFrenchWords(t *testing.T) {
	base := ref(t)
	tests := []struct {
		lang, text string
		typ        Type
		want       string // JSON of the value; "" means nothing found
		found      string // the text the value came from
	}{
		{"es", "quiero enviar veinticinco", Number, "25", "veinticinco"},
		{"es", "son treinta y cinco euros", Number, "35", "treinta y cinco"},
		{"es", "unos ciento veinte", Number, "120", "ciento veinte"},
		{"es", "dos mil quinientos", Number, "2500", "dos mil quinientos"},
		{"es", "un millón", Number, "1000000", "un millón"},
		{"es", "quiero una cuenta", Number, "", ""},  // an article, not a number
		{"es", "pague 40 ahora", Number, "40", "40"}, // digits as everywhere
		{"fr", "quatre-vingt-dix-sept", Number, "97", "quatre-vingt-dix-sept"},
		{"fr", "soixante-douze", Number, "72", "soixante-douze"},
		{"fr", "vingt et un", Number, "21", "vingt et un"},
		{"fr", "deux cent trois", Number, "203", "deux cent trois"},
		{"fr", "mille deux cents", Number, "1200", "mille deux cents"},
		{"fr", "une pomme", Number, "", ""},
		{"es", "quiero enviar veinte euros", Currency, `{"amount":20,"code":"EUR"}`, "veinte euros"},
		{"es", "cien dólares a Juan", Currency, `{"amount":100,"code":"USD"}`, "cien dólares"},
		{"fr", "vingt et un dollars", Currency, `{"amount":21,"code":"USD"}`, "vingt et un dollars"},
		{"fr", "cinquante euros", Currency, `{"amount":50,"code":"EUR"}`, "cinquante euros"},
		{"es", "mañana por la mañana", Date, `"2025-03-06"`, "mañana"},
		{"es", "esta mañana", Date, "", ""}, // this morning
		{"es", "MAÑANA", Date, `"2025-03-06"`, "MAÑANA"},
		{"es", "pasado mañana", Date, `"2025-03-07"`, "pasado mañana"},
		{"es", "ayer", Date, `"2025-03-04"`, "ayer"},
		{"es", "el viernes", Date, `"2025-03-07"`, "viernes"},
		{"es", "el miércoles que viene", Date, `"2025-03-12"`, "miércoles que viene"},
		{"es", "el lunes pasado", Date, `"2025-03-03"`, "lunes pasado"},
		{"es", "el 3 de abril", Date, `"2025-04-03"`, "3 de abril"},
		{"es", "el 3 de marzo de 2027", Date, `"2027-03-03"`, "3 de marzo de 2027"},
		{"es", "en tres días", Date, `"2025-03-08"`, "en tres días"},
		{"es", "dentro de 2 semanas", Date, `"2025-03-19"`, "dentro de 2 semanas"},
		{"es", "hace un mes", Date, `"2025-02-05"`, "hace un mes"},
		{"fr", "demain", Date, `"2025-03-06"`, "demain"},
		{"fr", "après-demain", Date, `"2025-03-07"`, "après-demain"},
		{"fr", "aujourd'hui", Date, `"2025-03-05"`, "aujourd'hui"},
		{"fr", "mercredi prochain", Date, `"2025-03-12"`, "mercredi prochain"},
		{"fr", "le 1er mai", Date, `"2025-05-01"`, "1er mai"},
		{"fr", "le 14 juillet 2026", Date, `"2026-07-14"`, "14 juillet 2026"},
		{"fr", "dans une semaine", Date, `"2025-03-12"`, "dans une semaine"},
		{"fr", "il y a deux jours", Date, `"2025-03-03"`, "il y a deux jours"},
		{"", "mañana", Date, "", ""}, // English bots do not read Spanish
		{"", "veinticinco", Number, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.text, func(t *testing.T) {
			r := base
			r.Language = tt.lang
			m, ok := Extract(Spec{Type: tt.typ}, tt.text, r)
			if tt.want == "" {
				if ok {
					t.Fatalf("found %s in %q, want nothing", jsonOf(m.Value), m.Text)
				}
				return
			}
			if !ok || jsonOf(m.Value) != tt.want || m.Text != tt.found {
				t.Fatalf("= %s from %q (%v), want %s from %q", jsonOf(m.Value), m.Text, ok, tt.want, tt.found)
			}
		})
	}
}
