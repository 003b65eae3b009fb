package entity

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	langpkg "github.com/parleyhq/parley/nlu/lang"
)

// Word forms of numbers and dates in the other built-in bot languages,
// Spanish and French. Digits, ISO and numeric dates, e-mail addresses, URLs
// and phone numbers read the same in every language and stay with the
// general parsers; this file adds what is said in words: "veinticinco",
// "quatre-vingt-dix", "mañana", "vendredi prochain", "3 de marzo", "dans 3
// jours", and amounts of money ("veinte euros"). Quantities, times and
// periods in words remain English.

// numberWords is one language's number vocabulary.
type numberWords struct {
	values     map[string]int // words that add their value: units, teens, tens, hundreds
	hundred    map[string]bool
	thousand   map[string]bool
	million    map[string]bool
	connectors map[string]bool // "y", "et": only between number words
	// article is the indefinite article that is also "one": a number only
	// inside a longer run ("vingt et un", "un millón"), never alone.
	article map[string]bool
}

var localNumberWords = map[string]numberWords{
	"es": {
		values: map[string]int{
			"cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
			"ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
			"dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20,
			"veintiuno": 21, "veintiún": 21, "veintiun": 21, "veintiuna": 21, "veintidós": 22, "veintidos": 22,
			"veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26,
			"veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
			"cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90, "cien": 100, "ciento": 100,
			"doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300, "cuatrocientos": 400,
			"cuatrocientas": 400, "quinientos": 500, "quinientas": 500, "seiscientos": 600, "seiscientas": 600,
			"setecientos": 700, "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
			"novecientas": 900,
		},
		hundred:    map[string]bool{},
		thousand:   map[string]bool{"mil": true},
		million:    map[string]bool{"millón": true, "millon": true, "millones": true},
		connectors: map[string]bool{"y": true},
		article:    map[string]bool{"un": true, "una": true},
	},
	"fr": {
		values: map[string]int{
			"zéro": 0, "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
			"huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
			"seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
		},
		hundred:    map[string]bool{"cent": true, "cents": true},
		thousand:   map[string]bool{"mille": true, "mil": true},
		million:    map[string]bool{"million": true, "millions": true},
		connectors: map[string]bool{"et": true},
		article:    map[string]bool{"un": true, "une": true},
	},
}

// wordTok is a lower-cased word with its byte offsets.
type wordTok struct {
	text       string
	start, end int
}

// words splits ls into runs of letters; a hyphen or an apostrophe ends a
// word ("quatre-vingt-dix" is three words).
func wordsOf(ls string) []wordTok {
	var out []wordTok
	start := -1
	for i := 0; i <= len(ls); {
		r, size := utf8.RuneError, 1
		if i < len(ls) {
			r, size = utf8.DecodeRuneInString(ls[i:])
		}
		if i < len(ls) && unicode.IsLetter(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, wordTok{ls[start:i], start, i})
			start = -1
		}
		i += size
	}
	return out
}

// localNumbers finds numbers said in words in a language of
// localNumberWords; nil for others.
func localNumbers(lang, text string) []numSpan {
	nw, ok := localNumberWords[lang]
	if !ok {
		return nil
	}
	ls := langpkg.LowerKeepOffsets(text)
	isNum := func(w string) bool {
		_, v := nw.values[w]
		return v || nw.hundred[w] || nw.thousand[w] || nw.million[w]
	}
	toks := wordsOf(ls)
	var out []numSpan
	for i := 0; i < len(toks); {
		if !isNum(toks[i].text) {
			i++
			continue
		}
		// The run: number words, with connectors and hyphens or spaces
		// between them.
		j := i + 1
		for j < len(toks) {
			gap := ls[toks[j-1].end:toks[j].start]
			if strings.Trim(gap, " -") != "" {
				break
			}
			if isNum(toks[j].text) {
				j++
				continue
			}
			if nw.connectors[toks[j].text] && j+1 < len(toks) && isNum(toks[j+1].text) && strings.Trim(ls[toks[j].end:toks[j+1].start], " -") == "" {
				j += 2
				continue
			}
			break
		}
		if j == i+1 && nw.article[toks[i].text] {
			i = j // "un", "una", "une" alone is an article
			continue
		}
		if v, ok := nw.value(toks[i:j]); ok {
			out = append(out, numSpan{start: toks[i].start, end: toks[j-1].end, val: v})
		}
		i = j
	}
	return out
}

// value adds up a run of number words: units, tens and hundreds add;
// "cent" multiplies what precedes; thousands and millions close a group.
// French "quatre vingt(s)" is eighty.
func (nw numberWords) value(run []wordTok) (float64, bool) {
	var total, group float64
	seen := false
	for k, t := range run {
		w := t.text
		switch {
		case nw.connectors[w]:
			continue
		case nw.million[w]:
			total += max(group, 1) * 1e6
			group = 0
		case nw.thousand[w]:
			total += max(group, 1) * 1e3
			group = 0
		case nw.hundred[w]:
			rem := float64(int(group) % 100)
			group = group - rem + max(rem, 1)*100
		case (w == "vingt" || w == "vingts") && k > 0 && run[k-1].text == "quatre":
			group += 80 - 4
		default:
			group += float64(nw.values[w])
		}
		seen = true
	}
	return total + group, seen
}

// localDateWords is one language's date vocabulary and patterns.
type localDateWords struct {
	relative  *regexp.Regexp // group 1: the word
	days      map[string]int // relative word → days from today
	notAfter  map[string]bool
	weekday   *regexp.Regexp // groups: qualifier before, weekday, qualifier after
	weekdays  map[string]time.Weekday
	next      map[string]bool
	last      map[string]bool
	dayMonth  *regexp.Regexp // groups: day, month, year
	months    map[string]time.Month
	inCount   *regexp.Regexp // groups: count, unit
	ago       *regexp.Regexp // groups: count, unit
	units     map[string]string
	firstWord string // the word for the first of the month
}

var localDates = map[string]localDateWords{
	"es": {
		relative: regexp.MustCompile(`(pasado\s+mañana|pasado\s+manana|anteayer|antier|ayer|hoy|mañana|manana)`),
		days: map[string]int{"hoy": 0, "mañana": 1, "manana": 1, "pasado mañana": 2, "pasado manana": 2,
			"ayer": -1, "anteayer": -2, "antier": -2},
		// "la mañana", "esta mañana": the morning, not tomorrow.
		notAfter: map[string]bool{"la": true, "esta": true, "una": true, "cada": true},
		weekday:  regexp.MustCompile(`(?:(próximo|proximo|este|esta)\s+)?(lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo)(?:\s+(que\s+viene|próximo|proximo|pasado))?`),
		weekdays: map[string]time.Weekday{"domingo": 0, "lunes": 1, "martes": 2, "miércoles": 3, "miercoles": 3,
			"jueves": 4, "viernes": 5, "sábado": 6, "sabado": 6},
		next:     map[string]bool{"próximo": true, "proximo": true, "que viene": true},
		last:     map[string]bool{"pasado": true},
		dayMonth: regexp.MustCompile(`(\d{1,2}|primero)\s+de\s+(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)(?:\s+(?:de|del)\s+(\d{4}))?`),
		months: map[string]time.Month{"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
			"agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12},
		inCount:   regexp.MustCompile(`(?:en|dentro\s+de)\s+(\d{1,4}|[a-zñáéíóú]+)\s+(días|dias|día|dia|semanas|semana|meses|mes|años|anos|año|ano)`),
		ago:       regexp.MustCompile(`hace\s+(\d{1,4}|[a-zñáéíóú]+)\s+(días|dias|día|dia|semanas|semana|meses|mes|años|anos|año|ano)`),
		units:     map[string]string{"días": "day", "dias": "day", "día": "day", "dia": "day", "semanas": "week", "semana": "week", "meses": "month", "mes": "month", "años": "year", "anos": "year", "año": "year", "ano": "year"},
		firstWord: "primero",
	},
	"fr": {
		relative: regexp.MustCompile(`(après-demain|apres-demain|après\s+demain|apres\s+demain|avant-hier|avant\s+hier|aujourd'hui|aujourd’hui|aujourdhui|demain|hier)`),
		days: map[string]int{"aujourd'hui": 0, "aujourd’hui": 0, "aujourdhui": 0, "demain": 1, "après-demain": 2,
			"apres-demain": 2, "après demain": 2, "apres demain": 2, "hier": -1, "avant-hier": -2, "avant hier": -2},
		notAfter: map[string]bool{},
		weekday:  regexp.MustCompile(`(?:(ce)\s+)?(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?:\s+(prochain|qui\s+vient|dernier))?`),
		weekdays: map[string]time.Weekday{"dimanche": 0, "lundi": 1, "mardi": 2, "mercredi": 3, "jeudi": 4, "vendredi": 5,
			"samedi": 6},
		next:     map[string]bool{"prochain": true, "qui vient": true},
		last:     map[string]bool{"dernier": true},
		dayMonth: regexp.MustCompile(`(\d{1,2}|1er|premier)\s+(janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre)(?:\s+(\d{4}))?`),
		months: map[string]time.Month{"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
			"juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12},
		inCount:   regexp.MustCompile(`dans\s+(\d{1,4}|[a-zàâçéèêëîïôûùüÿœ]+)\s+(jours|jour|semaines|semaine|mois|années|annees|année|annee|ans|an)`),
		ago:       regexp.MustCompile(`il\s+y\s+a\s+(\d{1,4}|[a-zàâçéèêëîïôûùüÿœ]+)\s+(jours|jour|semaines|semaine|mois|années|annees|année|annee|ans|an)`),
		units:     map[string]string{"jours": "day", "jour": "day", "semaines": "week", "semaine": "week", "mois": "month", "années": "year", "annees": "year", "année": "year", "annee": "year", "ans": "year", "an": "year"},
		firstWord: "premier",
	},
}

// wholeWords reports whether ls[s:e] is not inside a longer word.
func wholeWords(ls string, s, e int) bool {
	before, _ := utf8.DecodeLastRuneInString(ls[:s])
	after, _ := utf8.DecodeRuneInString(ls[e:])
	return (s == 0 || !unicode.IsLetter(before) && !unicode.IsDigit(before)) &&
		(e == len(ls) || !unicode.IsLetter(after) && !unicode.IsDigit(after))
}

// findLocalDates finds dates said in words in a language of localDates.
func findLocalDates(lang, text string, today time.Time) []dateSpan {
	lw, ok := localDates[lang]
	if !ok {
		return nil
	}
	sc := &localDateScan{lw: &lw, lang: lang, ls: langpkg.LowerKeepOffsets(text), today: today}
	sc.relativeDays()
	sc.weekdays()
	sc.dayMonths()
	sc.counted(lw.inCount, 1)
	sc.counted(lw.ago, -1)
	return sc.out
}

// localDateScan collects the dates of an utterance (lower case, offsets
// kept) in the words of one language.
type localDateScan struct {
	lw    *localDateWords
	lang  string
	ls    string
	today time.Time
	out   []dateSpan
}

// add records the date t at ls[s:e] when that is whole words.
func (sc *localDateScan) add(s, e int, t time.Time, explicitY bool) {
	if wholeWords(sc.ls, s, e) {
		sc.out = append(sc.out, dateSpan{start: s, end: e, t: t, explicitY: explicitY})
	}
}

// relativeDays reads "mañana", "après-demain".
func (sc *localDateScan) relativeDays() {
	ls, lw := sc.ls, sc.lw
	for _, m := range lw.relative.FindAllStringSubmatchIndex(ls, -1) {
		w := strings.Join(strings.Fields(ls[m[2]:m[3]]), " ")
		if prev := lastWord(ls[:m[0]]); lw.notAfter[prev] {
			continue
		}
		sc.add(m[0], m[1], sc.today.AddDate(0, 0, lw.days[w]), false)
	}
}

// weekdays reads "el próximo lunes", "vendredi dernier".
func (sc *localDateScan) weekdays() {
	ls, lw := sc.ls, sc.lw
	for _, m := range lw.weekday.FindAllStringSubmatchIndex(ls, -1) {
		qual := ""
		if m[2] >= 0 {
			qual = ls[m[2]:m[3]]
		}
		if m[6] >= 0 {
			qual = strings.Join(strings.Fields(ls[m[6]:m[7]]), " ")
		}
		diff := (int(lw.weekdays[ls[m[4]:m[5]]]) - int(sc.today.Weekday()) + 7) % 7
		switch {
		case lw.next[qual] && diff == 0:
			diff = 7
		case lw.last[qual]:
			diff -= 7
			if diff == 0 {
				diff = -7
			}
		}
		sc.add(m[0], m[1], sc.today.AddDate(0, 0, diff), false)
	}
}

// dayMonths reads "5 de marzo de 2025", "le 1er mars": without a year, the
// next such day.
func (sc *localDateScan) dayMonths() {
	ls, lw, today := sc.ls, sc.lw, sc.today
	for _, m := range lw.dayMonth.FindAllStringSubmatchIndex(ls, -1) {
		ds := ls[m[2]:m[3]]
		d := 1
		if ds != lw.firstWord && ds != "1er" {
			d, _ = strconv.Atoi(ds)
		}
		mo := lw.months[ls[m[4]:m[5]]]
		if m[6] >= 0 {
			y, _ := strconv.Atoi(ls[m[6]:m[7]])
			if t, ok := civil(y, mo, d, today.Location()); ok {
				sc.add(m[0], m[1], t, true)
			}
			continue
		}
		if t, ok := upcoming(today, mo, d); ok {
			sc.add(m[0], m[1], t, false)
		}
	}
}

// counted reads a count of days, weeks, months or years with re ("dentro
// de 3 días", "il y a deux semaines"), forward for sign 1, back for -1.
func (sc *localDateScan) counted(re *regexp.Regexp, sign int) {
	ls := sc.ls
	for _, m := range re.FindAllStringSubmatchIndex(ls, -1) {
		n, ok := localCount(sc.lang, ls[m[2]:m[3]])
		if !ok || n >= 10000 {
			continue
		}
		sc.add(m[0], m[1], addUnit(sc.today, sign*n, sc.lw.units[ls[m[4]:m[5]]]), false)
	}
}

// localCount reads a count in digits or in the language's number words.
func localCount(lang, s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	nw := localNumberWords[lang]
	if nw.article[s] {
		return 1, true
	}
	v, ok := nw.values[s]
	return v, ok
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// baseLanguage is "es" for "es-MX"; "" is English.
func baseLanguage(code string) string {
	code = strings.ToLower(code)
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	return code
}
