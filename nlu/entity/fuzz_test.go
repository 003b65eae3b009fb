package entity

import (
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzType checks the invariants every parser must keep on any input: no
// panic (Extract's recover would hide one, so parsers are called directly
// through extractFor), a span inside the input and Text equal to it.
func fuzzType(f *testing.F, spec Spec, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	r := ref(f)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxInput {
			text = text[:maxInput]
		}
		type res struct {
			lang string
			s    span
			ok   bool
		}
		// Every language's word forms are tried (the general parsers and
		// the Spanish and French words of numbers and dates).
		done := make(chan []res, 1)
		go func() {
			var out []res
			for _, lang := range []string{"", "es", "fr"} {
				rl := r
				rl.Language = lang
				s, ok := extractFor(spec, text, rl)
				out = append(out, res{lang, s, ok})
			}
			done <- out
		}()
		var outs []res
		select {
		case outs = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("extraction of %q did not finish in 10s", text)
		}
		for _, out := range outs {
			s := out.s
			if !out.ok {
				continue
			}
			if s.start < 0 || s.end > len(text) || s.start > s.end {
				t.Fatalf("%q: span [%d:%d] outside %q", out.lang, s.start, s.end, text)
			}
			if s.value == nil {
				t.Fatalf("%q: nil value for %q", out.lang, text)
			}
			if utf8.ValidString(text) && !utf8.ValidString(text[s.start:s.end]) {
				t.Fatalf("%q: span [%d:%d] splits a rune in %q", out.lang, s.start, s.end, text)
			}
		}
	})
}

// extractFor is Extract without the recover, so the fuzzer sees panics.
func extractFor(spec Spec, text string, r Reference) (span, bool) {
	switch spec.Type {
	case Number:
		return extractNumber(text, baseLanguage(r.Language))
	case Currency:
		return extractCurrency(text, baseLanguage(r.Language))
	case Percentage:
		return extractPercentage(text)
	case Quantity:
		return extractQuantity(text, spec)
	case Date:
		return extractDate(text, r)
	case Time:
		return extractTime(text, r)
	case DateTime:
		return extractDateTime(text, r)
	case DatePeriod:
		return extractDatePeriod(text, r)
	case Email:
		return extractRegexp(text, emailRe)
	case URL:
		return extractURL(text)
	case Phone:
		return extractPhone(text, r)
	case Zip:
		return extractZip(text, r)
	case Country:
		return extractCountry(text)
	case City:
		return extractCity(text)
	case PersonName:
		return extractPersonName(text)
	case List:
		return extractList(text, spec)
	case Regex, Custom:
		return extractCustom(text, spec)
	case Color:
		return extractColor(text)
	case TimeZone:
		return extractTimeZone(text, r)
	case Company:
		return extractCompany(text)
	case Address:
		return extractAddress(text)
	case Airport:
		return extractAirport(text)
	case Composite:
		return extractComposite(text, spec, r)
	}
	return extractString(text)
}

func FuzzNumber(f *testing.F) {
	fuzzType(f, Spec{Type: Number}, "twenty five", "1.5k", "-3", "one two three", "a hundred and", "99999999999999999999")
}
func FuzzCurrency(f *testing.F) {
	fuzzType(f, Spec{Type: Currency}, "$45,000", "EUR 20", "20 euros", "Rs. 5", "-$5", "£")
}
func FuzzPercentage(f *testing.F) { fuzzType(f, Spec{Type: Percentage}, "60%", "sixty per cent") }
func FuzzQuantity(f *testing.F) {
	fuzzType(f, Spec{Type: Quantity, DefaultUnit: "metre"}, "500 ml", "5m", "3 years old", "5 °C")
}
func FuzzDate(f *testing.F) {
	fuzzType(f, Spec{Type: Date}, "next friday", "2025-02-29", "12/25/2025", "the 31st", "in 9999 years")
}
func FuzzTime(f *testing.F) {
	fuzzType(f, Spec{Type: Time}, "6pm", "half past twelve", "at 5", "in 2 hours", "24:00")
}
func FuzzDateTime(f *testing.F) { fuzzType(f, Spec{Type: DateTime}, "tomorrow at 6pm", "now") }
func FuzzDatePeriod(f *testing.F) {
	fuzzType(f, Spec{Type: DatePeriod}, "from March 3 to 5", "last 3 days", "in may 2025", "between 1/2 and")
}
func FuzzEmail(f *testing.F) { fuzzType(f, Spec{Type: Email}, "a@b.co", "@@.") }
func FuzzURL(f *testing.F)   { fuzzType(f, Spec{Type: URL}, "https://x.io/a).", "www.") }
func FuzzPhone(f *testing.F) {
	fuzzType(f, Spec{Type: Phone}, "+1 650-253-0000", "(((1", "+999999999999999")
}
func FuzzZip(f *testing.F) { fuzzType(f, Spec{Type: Zip}, "94105-1234", "1-23456") }
func FuzzCountry(f *testing.F) {
	fuzzType(f, Spec{Type: Country}, "Germany", "UK", "DE", "the united states of america")
}
func FuzzCity(f *testing.F)       { fuzzType(f, Spec{Type: City}, "New York City", "Rio") }
func FuzzPersonName(f *testing.F) { fuzzType(f, Spec{Type: PersonName}, "my name is", "I'm Ann Lee") }
func FuzzList(f *testing.F) {
	fuzzType(f, Spec{Type: List, Values: []ListValue{{Title: "Extra large", Value: "XL", Synonyms: []string{"", "big"}}}}, "extra larg", "big")
}
func FuzzRegex(f *testing.F) { fuzzType(f, Spec{Type: Regex, Regex: `(\d+)?x`}, "12x", "x") }
func FuzzComposite(f *testing.F) {
	fuzzType(f, Spec{Type: Composite, Components: map[string]Spec{"a": {Type: Currency}, "d": {Type: Date}}}, "pay $5 tomorrow")
}
func FuzzString(f *testing.F) { fuzzType(f, Spec{Type: String}, " ", "\xff") }

func FuzzColor(f *testing.F) { fuzzType(f, Spec{Type: Color}, "light sea green", "grey") }
func FuzzTimeZone(f *testing.F) {
	fuzzType(f, Spec{Type: TimeZone}, "UTC+5:30", "Europe/Paris", "PST", "-0800")
}
func FuzzCompany(f *testing.F) { fuzzType(f, Spec{Type: Company}, "at Acme Corp.", "I bank") }
func FuzzAddress(f *testing.F) {
	fuzzType(f, Spec{Type: Address}, "1600 Pennsylvania Ave NW, Washington, DC 20500", "Hauptstraße 5, 10115 Berlin", "5 st")
}
func FuzzAirport(f *testing.F) {
	fuzzType(f, Spec{Type: Airport}, "fly to LHR", "from Charles de Gaulle", "FLY TO THE MOON", "frankfurt")
}
