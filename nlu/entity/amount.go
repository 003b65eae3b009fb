package entity

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// currencySymbols maps symbols written before or after the amount.
var currencySymbols = map[string]string{
	"us$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB",
	"r$": "BRL", "a$": "AUD", "c$": "CAD", "hk$": "HKD", "s$": "SGD", "₺": "TRY", "₪": "ILS", "fr": "CHF",
}

// currencyWords maps names written after the amount ("20 euros").
var currencyWords = map[string]string{
	"dollar": "USD", "dollars": "USD", "usd": "USD", "bucks": "USD", "buck": "USD",
	"euro": "EUR", "euros": "EUR", "eur": "EUR",
	"pound": "GBP", "pounds": "GBP", "gbp": "GBP", "quid": "GBP",
	"yen": "JPY", "jpy": "JPY", "rupee": "INR", "rupees": "INR", "inr": "INR", "rs": "INR",
	"yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "cny": "CNY",
	"franc": "CHF", "francs": "CHF", "chf": "CHF", "won": "KRW", "krw": "KRW",
	"ruble": "RUB", "rubles": "RUB", "roubles": "RUB", "rub": "RUB",
	"real": "BRL", "reais": "BRL", "brl": "BRL", "peso": "MXN", "pesos": "MXN", "mxn": "MXN",
	"cad": "CAD", "aud": "AUD", "nzd": "NZD", "sgd": "SGD", "hkd": "HKD", "sek": "SEK", "nok": "NOK", "dkk": "DKK",
	"pln": "PLN", "zloty": "PLN", "zar": "ZAR", "rand": "ZAR", "aed": "AED", "dirham": "AED", "dirhams": "AED",
	"sar": "SAR", "riyal": "SAR", "riyals": "SAR", "try": "TRY", "lira": "TRY", "ils": "ILS", "shekel": "ILS", "shekels": "ILS",
	"krona": "SEK", "kronor": "SEK", "krone": "NOK", "kroner": "NOK",
}

// Multi-word currency names take precedence over their last word.
var currencyPhrases = map[string]string{
	"canadian dollars": "CAD", "canadian dollar": "CAD", "australian dollars": "AUD", "australian dollar": "AUD",
	"singapore dollars": "SGD", "hong kong dollars": "HKD", "new zealand dollars": "NZD",
	"us dollars": "USD", "u.s. dollars": "USD", "american dollars": "USD", "swiss francs": "CHF",
	"british pounds": "GBP", "pounds sterling": "GBP", "indian rupees": "INR", "mexican pesos": "MXN",
	"brazilian reais": "BRL", "japanese yen": "JPY", "chinese yuan": "CNY",
	// Spanish and French names (the bot language decides whether their
	// number words are read; the names cost nothing in English).
	"dólares": "USD", "dólar": "USD", "dolares": "USD", "dolar": "USD", "libras esterlinas": "GBP", "libras": "GBP",
	"yenes": "JPY", "francos suizos": "CHF", "francos": "CHF", "rupias": "INR", "reales": "BRL",
	"livres sterling": "GBP", "francs suisses": "CHF", "dollars américains": "USD", "dólares estadounidenses": "USD",
}

var (
	symbolRe = regexp.MustCompile(`(?i)(us\$|hk\$|[rcas]\$|\$|€|£|¥|₹|₩|₽|₺|₪)`)
)

func currencyValue(code string, amount float64) map[string]any {
	return map[string]any{"code": code, "amount": round(amount, 6)}
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// extractCurrency finds an amount with a currency written as a symbol
// ("$45,000", "20€"), an ISO code ("EUR 20", "20 usd") or a name ("45k
// dollars", "twenty euros", "5 canadian dollars").
func extractCurrency(text, lang string) (span, bool) {
	ls := lower(text)
	nums := findNumbers(text)
	if local := localNumbers(lang, text); len(local) > 0 {
		nums = append(nums, local...)
		sort.SliceStable(nums, func(i, j int) bool { return nums[i].start < nums[j].start })
	}
	var cands []span
	for _, n := range nums {
		if n.val < 0 {
			n.start, n.val = n.start+1, -n.val // "-$5" style minus is rare; keep the amount
		}
		if c, ok := currencyBefore(ls, n); ok {
			cands = append(cands, c)
			continue
		}
		if c, ok := currencyAfter(ls, n); ok {
			cands = append(cands, c)
		}
	}
	return first(cands)
}

// currencyBefore reads a symbol or a code immediately before the amount n
// (spaces allowed): "$45", "EUR 20", "rs. 500".
func currencyBefore(ls string, n numSpan) (span, bool) {
	before := strings.TrimRight(ls[:n.start], " ")
	if sym := symbolRe.FindAllStringIndex(before, -1); len(sym) > 0 {
		last := sym[len(sym)-1]
		if last[1] == len(before) {
			code := currencySymbols[before[last[0]:last[1]]]
			return span{start: last[0], end: n.end, value: currencyValue(code, n.val)}, true
		}
	}
	ws := wordRe.FindAllStringIndex(before, -1)
	if len(ws) == 0 {
		return span{}, false
	}
	last := ws[len(ws)-1]
	w := before[last[0]:last[1]]
	if strings.TrimRight(before[last[1]:], ".") != "" || last[0] > 0 && isAlnum(before[last[0]-1]) {
		return span{}, false // not a whole word right before the amount
	}
	if _, ok := isoCodes[strings.ToUpper(w)]; ok && len(w) == 3 {
		return span{start: last[0], end: n.end, value: currencyValue(strings.ToUpper(w), n.val)}, true
	}
	if w == "rs" {
		return span{start: last[0], end: n.end, value: currencyValue("INR", n.val)}, true
	}
	return span{}, false
}

// currencyAfter reads a symbol, a phrase, a name or a code right after the
// amount n: "20€", "45k dollars", "20 usd".
func currencyAfter(ls string, n numSpan) (span, bool) {
	rest := ls[n.end:]
	trimmed := strings.TrimLeft(rest, " ")
	off := n.end + len(rest) - len(trimmed)
	if loc := symbolRe.FindStringIndex(trimmed); loc != nil && loc[0] == 0 {
		code := currencySymbols[trimmed[:loc[1]]]
		return span{start: n.start, end: off + loc[1], value: currencyValue(code, n.val)}, true
	}
	if code, l := matchCurrencyWords(trimmed); l > 0 {
		return span{start: n.start, end: off + l, value: currencyValue(code, n.val)}, true
	}
	return span{}, false
}

var isoCodes = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, c := range currencyWords {
		m[c] = struct{}{}
	}
	for _, c := range currencySymbols {
		m[c] = struct{}{}
	}
	return m
}()

// currencyPhraseOrder lists the phrases longest first.
var currencyPhraseOrder = func() []string {
	out := make([]string, 0, len(currencyPhrases))
	for p := range currencyPhrases {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}()

// matchCurrencyWords matches a currency name at the start of s (lower case)
// and returns its code and byte length.
func matchCurrencyWords(s string) (string, int) {
	for _, p := range currencyPhraseOrder {
		if strings.HasPrefix(s, p) && (len(s) == len(p) || !isAlnum(s[len(p)])) {
			return currencyPhrases[p], len(p)
		}
	}
	w := wordRe.FindString(s)
	if w != "" && strings.HasPrefix(s, w) {
		if c, ok := currencyWords[w]; ok && w != "try" {
			return c, len(w)
		}
	}
	return "", 0
}

var percentRe = regexp.MustCompile(`^\s*(%|percent\b|per cent\b|pct\b|percentage\b)`)

// extractPercentage finds "60%", "60 percent", "sixty per cent": 0.6.
func extractPercentage(text string) (span, bool) {
	ls := lower(text)
	for _, n := range findNumbers(text) {
		if loc := percentRe.FindStringIndex(ls[n.end:]); loc != nil {
			return span{start: n.start, end: n.end + loc[1], value: round(n.val/100, 10)}, true
		}
	}
	return span{}, false
}

// unit is one quantity unit.
type unit struct {
	name  string // canonical name, as Kore reports it
	typ   string
	names []string // spellings, lower case, longest first when matching
}

var unitTable = []unit{
	{"millimetre", "length", []string{"millimetres", "millimeters", "millimetre", "millimeter", "mm"}},
	{"centimetre", "length", []string{"centimetres", "centimeters", "centimetre", "centimeter", "cm"}},
	{"metre", "length", []string{"metres", "meters", "metre", "meter", "m"}},
	{"kilometre", "length", []string{"kilometres", "kilometers", "kilometre", "kilometer", "km", "kms"}},
	{"inch", "length", []string{"inches", "inch", "in", "\""}},
	{"foot", "length", []string{"feet", "foot", "ft", "'"}},
	{"yard", "length", []string{"yards", "yard", "yd"}},
	{"mile", "length", []string{"miles", "mile", "mi"}},
	{"square metre", "area", []string{"square metres", "square meters", "square metre", "square meter", "sq m", "sqm", "m2", "m²"}},
	{"square foot", "area", []string{"square feet", "square foot", "sq ft", "sqft", "ft2", "ft²"}},
	{"acre", "area", []string{"acres", "acre"}},
	{"hectare", "area", []string{"hectares", "hectare", "ha"}},
	{"millilitre", "volume", []string{"millilitres", "milliliters", "millilitre", "milliliter", "ml"}},
	{"litre", "volume", []string{"litres", "liters", "litre", "liter", "l", "ltr"}},
	{"gallon", "volume", []string{"gallons", "gallon", "gal"}},
	{"cup", "volume", []string{"cups", "cup"}},
	{"second", "time", []string{"seconds", "second", "secs", "sec", "s"}},
	{"minute", "time", []string{"minutes", "minute", "mins", "min"}},
	{"hour", "time", []string{"hours", "hour", "hrs", "hr", "h"}},
	{"day", "time", []string{"days", "day"}},
	{"week", "time", []string{"weeks", "week", "wks"}},
	{"month", "time", []string{"months", "month"}},
	{"year", "time", []string{"years", "year", "yrs"}},
	{"kilometre per hour", "speed", []string{"kilometres per hour", "kilometers per hour", "km/h", "kmph", "kph"}},
	{"mile per hour", "speed", []string{"miles per hour", "mph"}},
	{"metre per second", "speed", []string{"metres per second", "meters per second", "m/s"}},
	{"milligram", "weight", []string{"milligrams", "milligram", "mg"}},
	{"gram", "weight", []string{"grams", "gram", "gms", "gm", "g"}},
	{"kilogram", "weight", []string{"kilograms", "kilogram", "kilos", "kilo", "kgs", "kg"}},
	{"pound", "weight", []string{"pounds", "pound", "lbs", "lb"}},
	{"ounce", "weight", []string{"ounces", "ounce", "oz"}},
	{"tonne", "weight", []string{"tonnes", "tonne", "tons", "ton"}},
	{"celsius", "temperature", []string{"degrees celsius", "degree celsius", "°c", "celsius", "centigrade"}},
	{"fahrenheit", "temperature", []string{"degrees fahrenheit", "degree fahrenheit", "°f", "fahrenheit"}},
	{"kelvin", "temperature", []string{"kelvin"}},
	{"byte", "memory", []string{"bytes", "byte"}},
	{"kilobyte", "memory", []string{"kilobytes", "kilobyte", "kb"}},
	{"megabyte", "memory", []string{"megabytes", "megabyte", "mb"}},
	{"gigabyte", "memory", []string{"gigabytes", "gigabyte", "gigs", "gb"}},
	{"terabyte", "memory", []string{"terabytes", "terabyte", "tb"}},
	{"degree", "angle", []string{"degrees", "degree", "°"}},
	{"radian", "angle", []string{"radians", "radian", "rad"}},
	{"pascal", "pressure", []string{"pascals", "pascal", "pa"}},
	{"bar", "pressure", []string{"bars", "bar"}},
	{"psi", "pressure", []string{"psi"}},
	{"joule", "energy", []string{"joules", "joule", "j"}},
	{"calorie", "energy", []string{"kilocalories", "calories", "calorie", "kcal", "cal"}},
	{"kilowatt hour", "energy", []string{"kilowatt hours", "kilowatt hour", "kwh"}},
	{"year", "age", []string{"years old", "year old", "yrs old", "years of age"}},
}

func knownUnitType(t string) bool {
	for _, u := range unitTable {
		if u.typ == strings.ToLower(t) {
			return true
		}
	}
	return false
}

// extractQuantity finds an amount followed by a unit ("500 ml", "5.5kg",
// "three miles"); with a UnitType only units of that type count, and with
// a DefaultUnit a bare number takes that unit.
func extractQuantity(text string, spec Spec) (span, bool) {
	ls := lower(text)
	typ := strings.ToLower(spec.UnitType)
	for _, n := range findNumbersOpt(text, false) {
		rest := ls[n.end:]
		trimmed := strings.TrimLeft(rest, " ")
		off := n.end + len(rest) - len(trimmed)
		bestLen, best := 0, unit{}
		for _, u := range unitTable {
			if typ != "" && u.typ != typ {
				continue
			}
			for _, name := range u.names {
				if len(name) > bestLen && strings.HasPrefix(trimmed, name) &&
					(len(trimmed) == len(name) || !isAlnum(trimmed[len(name)]) || !isAlnum(name[len(name)-1])) {
					bestLen, best = len(name), u
				}
			}
		}
		if bestLen > 0 {
			if typ == "" && best.typ == "age" {
				best = unit{name: "year", typ: "age"}
			}
			return span{start: n.start, end: off + bestLen, value: map[string]any{
				"unit": best.name, "amount": n.val, "type": best.typ, "source": text[n.start : off+bestLen],
			}}, true
		}
	}
	if spec.DefaultUnit != "" {
		if nums := findNumbersOpt(text, false); len(nums) > 0 {
			n := nums[0]
			return span{start: n.start, end: n.end, value: map[string]any{
				"unit": spec.DefaultUnit, "amount": n.val, "type": typ, "source": text[n.start:n.end],
			}}, true
		}
	}
	return span{}, false
}
