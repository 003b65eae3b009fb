package entity

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dateSpan is a calendar date found in text.
type dateSpan struct {
	start, end int
	t          time.Time // midnight in the reference location
	explicitY  bool
}

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
	"jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]time.Weekday{
	"sunday": 0, "sun": 0, "monday": 1, "mon": 1, "tuesday": 2, "tue": 2, "tues": 2, "wednesday": 3, "wed": 3,
	"thursday": 4, "thu": 4, "thur": 4, "thurs": 4, "friday": 5, "fri": 5, "saturday": 6, "sat": 6,
}

var ordinalWords = func() map[string]int {
	base := []string{"", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
		"eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"}
	m := map[string]int{"twentieth": 20, "thirtieth": 30}
	for i := 1; i < len(base); i++ {
		m[base[i]] = i
	}
	for i := 1; i <= 9; i++ {
		m["twenty "+base[i]] = 20 + i
		m["twenty-"+base[i]] = 20 + i
	}
	m["thirty first"], m["thirty-first"] = 31, 31
	return m
}()

const (
	monthRe   = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`
	ordBody   = `(?:twenty|thirty)[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth`
	dayRe     = `(\d{1,2}(?:st|nd|rd|th)?|` + ordBody + `)`
	weekdayRe = `(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)`
	countRe   = `(\d{1,4}|a couple of|couple of|a few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)`
)

var (
	isoDateRe     = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	numDateRe     = regexp.MustCompile(`\b(\d{1,2})([/.\-])(\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\b`)
	monthDayRe    = regexp.MustCompile(`\b` + monthRe + `\.?\s+(?:the\s+)?` + dayRe + `\b(?:\s*,?\s*(\d{4})\b)?`)
	dayMonthRe    = regexp.MustCompile(`\b(?:the\s+)?` + dayRe + `\s+(?:of\s+)?` + monthRe + `\b\.?(?:\s*,?\s*(\d{4})\b)?`)
	casualRe      = regexp.MustCompile(`\b(?:the\s+)?(day\s+after\s+tomorrow|day\s+before\s+yesterday|today|tonight|tomorrow|tmrw|tmr|yesterday|now)\b`)
	weekdayDateRe = regexp.MustCompile(`\b(?:(next|this|last|coming|on)\s+)?` + weekdayRe + `\b`)
	inCountRe     = regexp.MustCompile(`\b(?:in|after|within)\s+` + countRe + `\s+(days?|weeks?|months?|years?)\b`)
	countLaterRe  = regexp.MustCompile(`\b` + countRe + `\s+(days?|weeks?|months?|years?)\s+(from\s+now|from\s+today|later|hence|ago|before)\b`)
	relPeriodRe   = regexp.MustCompile(`\b(next|this|last|coming|past|previous)\s+(week|month|year)\b`)
	theDayRe      = regexp.MustCompile(`\b(?:on\s+)?the\s+(\d{1,2}(?:st|nd|rd|th)|` + ordBody + `)\b`)
)

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// civil builds a date, rejecting overflow such as February 30.
func civil(y int, m time.Month, d int, loc *time.Location) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return t, t.Day() == d && t.Month() == m
}

func parseDay(s string) (int, bool) {
	if d, ok := ordinalWords[s]; ok {
		return d, true
	}
	s = strings.TrimRight(s, "stndrh")
	d, err := strconv.Atoi(s)
	return d, err == nil && d >= 1 && d <= 31
}

func parseYear(s string) int {
	y, _ := strconv.Atoi(s)
	if len(s) == 2 {
		if y < 70 {
			return 2000 + y
		}
		return 1900 + y
	}
	return y
}

func parseCount(s string) int {
	switch s {
	case "a", "an", "one":
		return 1
	case "a couple of", "couple of":
		return 2
	case "a few":
		return 3
	}
	if v, ok := units[s]; ok {
		return int(v)
	}
	if v, ok := tens[s]; ok {
		return int(v)
	}
	n, _ := strconv.Atoi(s)
	return n
}

// upcoming returns the month/day on or after today, in this or next year.
func upcoming(today time.Time, m time.Month, d int) (time.Time, bool) {
	t, ok := civil(today.Year(), m, d, today.Location())
	if !ok {
		// February 29 outside a leap year: try the next years.
		for y := today.Year() + 1; y <= today.Year()+4 && !ok; y++ {
			t, ok = civil(y, m, d, today.Location())
		}
		return t, ok
	}
	if t.Before(today) {
		return civil(today.Year()+1, m, d, today.Location())
	}
	return t, true
}

func addUnit(t time.Time, n int, unit string) time.Time {
	switch strings.TrimSuffix(unit, "s") {
	case "day":
		return t.AddDate(0, 0, n)
	case "week":
		return t.AddDate(0, 0, 7*n)
	case "month":
		return t.AddDate(0, n, 0)
	case "year":
		return t.AddDate(n, 0, 0)
	case "hour":
		return t.Add(time.Duration(n) * time.Hour)
	case "minute", "min":
		return t.Add(time.Duration(n) * time.Minute)
	}
	return t
}

// weekStart is the Monday of t's ISO week.
func weekStart(t time.Time) time.Time {
	off := (int(t.Weekday()) + 6) % 7
	return t.AddDate(0, 0, -off)
}

// findDates returns every single date in text, relative to ref.
func findDates(text string, ref Reference) []dateSpan {
	today := midnight(ref.now())
	sc := &dateScan{ls: lower(text), today: today, loc: today.Location(), region: ref.region()}
	sc.isoDates()
	sc.numericDates()
	sc.namedMonthDates()
	sc.casualDates()
	sc.weekdayDates()
	sc.countedDates()
	sc.periodStarts()
	sc.daysOfMonth()
	out := append(sc.out, findLocalDates(baseLanguage(ref.Language), text, today)...)
	return dropContained(out)
}

// dateScan collects the dates of an utterance (lower case) relative to
// today, in the reference location.
type dateScan struct {
	ls     string
	today  time.Time
	loc    *time.Location
	region string
	out    []dateSpan
}

// add records the date t at ls[s:e] when ok; y tells whether the text
// gave the year.
func (sc *dateScan) add(s, e int, t time.Time, ok, y bool) {
	if ok {
		sc.out = append(sc.out, dateSpan{start: s, end: e, t: t, explicitY: y})
	}
}

// isoDates reads "2025-03-05".
func (sc *dateScan) isoDates() {
	ls := sc.ls
	for _, m := range isoDateRe.FindAllStringSubmatchIndex(ls, -1) {
		y, _ := strconv.Atoi(ls[m[2]:m[3]])
		mo, _ := strconv.Atoi(ls[m[4]:m[5]])
		d, _ := strconv.Atoi(ls[m[6]:m[7]])
		t, ok := civil(y, time.Month(mo), d, sc.loc)
		sc.add(m[0], m[1], t, ok, true)
	}
}

// numericDates reads "3/4", "3/4/2025", "4.3.25", "3-4-2025", month first
// in the US and day first elsewhere (and always with dots).
func (sc *dateScan) numericDates() {
	ls := sc.ls
	for _, m := range numDateRe.FindAllStringSubmatchIndex(ls, -1) {
		sep := ls[m[4]:m[5]]
		if m[8] < 0 && sep != "/" {
			continue // "3.4" is a number and "3-4" a range
		}
		if m[0] > 0 && (ls[m[0]-1] == '-' || ls[m[0]-1] == '/' || ls[m[0]-1] == '.') {
			continue // inside an ISO date or a longer number
		}
		a, _ := strconv.Atoi(ls[m[2]:m[3]])
		b, _ := strconv.Atoi(ls[m[6]:m[7]])
		mo, d := a, b
		if sep == "." || sc.region != "US" {
			mo, d = b, a
		}
		if m[8] >= 0 {
			t, ok := civil(parseYear(ls[m[8]:m[9]]), time.Month(mo), d, sc.loc)
			sc.add(m[0], m[1], t, ok, true)
		} else {
			t, ok := upcoming(sc.today, time.Month(mo), d)
			sc.add(m[0], m[1], t, ok, false)
		}
	}
}

// namedMonthDates reads "march 3rd, 2025" and "the 3rd of march".
func (sc *dateScan) namedMonthDates() {
	for _, m := range monthDayRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		sc.monthDay(m, 2, 4, 6)
	}
	for _, m := range dayMonthRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		sc.monthDay(m, 4, 2, 6)
	}
}

// monthDay adds the date of match m whose month, day and year are the
// submatches mi, di and yi; without a year it is the next such day.
func (sc *dateScan) monthDay(m []int, mi, di, yi int) {
	ls := sc.ls
	mo := monthNames[ls[m[mi]:m[mi+1]]]
	d, ok := parseDay(ls[m[di]:m[di+1]])
	if !ok {
		return
	}
	if m[yi] >= 0 {
		t, ok := civil(parseYear(ls[m[yi]:m[yi+1]]), mo, d, sc.loc)
		sc.add(m[0], m[1], t, ok, true)
		return
	}
	t, ok := upcoming(sc.today, mo, d)
	sc.add(m[0], m[1], t, ok, false)
}

// casualDates reads "today", "tomorrow", "the day before yesterday".
func (sc *dateScan) casualDates() {
	today := sc.today
	for _, m := range casualRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		w := strings.Join(strings.Fields(sc.ls[m[2]:m[3]]), " ")
		t := today
		switch w {
		case "tomorrow", "tmrw", "tmr":
			t = today.AddDate(0, 0, 1)
		case "yesterday":
			t = today.AddDate(0, 0, -1)
		case "day after tomorrow":
			t = today.AddDate(0, 0, 2)
		case "day before yesterday":
			t = today.AddDate(0, 0, -2)
		}
		sc.add(m[0], m[1], t, true, false)
	}
}

// weekdayDates reads "friday", "next monday", "last tue".
func (sc *dateScan) weekdayDates() {
	ls := sc.ls
	for _, m := range weekdayDateRe.FindAllStringSubmatchIndex(ls, -1) {
		qual := ""
		if m[2] >= 0 {
			qual = ls[m[2]:m[3]]
		}
		name := ls[m[4]:m[5]]
		if len(name) <= 4 && name != "tue" && qual == "" {
			continue // "sat", "sun", "wed" alone are too often ordinary words
		}
		sc.add(m[0], m[1], sc.today.AddDate(0, 0, weekdayOffset(sc.today, weekdayNames[name], qual)), true, false)
	}
}

// weekdayOffset is the number of days from today to the weekday wd: the
// coming one (today included), or with "next" never today and with "last"
// the one before.
func weekdayOffset(today time.Time, wd time.Weekday, qual string) int {
	diff := (int(wd) - int(today.Weekday()) + 7) % 7
	switch qual {
	case "next":
		if diff == 0 {
			diff = 7
		}
	case "last":
		diff -= 7
		if diff == 0 {
			diff = -7
		}
	}
	return diff
}

// countedDates reads "in 3 days", "two weeks from now", "a month ago".
func (sc *dateScan) countedDates() {
	ls := sc.ls
	for _, m := range inCountRe.FindAllStringSubmatchIndex(ls, -1) {
		n := parseCount(ls[m[2]:m[3]])
		sc.add(m[0], m[1], addUnit(sc.today, n, ls[m[4]:m[5]]), n < 10000, false)
	}
	for _, m := range countLaterRe.FindAllStringSubmatchIndex(ls, -1) {
		n := parseCount(ls[m[2]:m[3]])
		if dir := ls[m[6]:m[7]]; dir == "ago" || dir == "before" {
			n = -n
		}
		sc.add(m[0], m[1], addUnit(sc.today, n, ls[m[4]:m[5]]), n < 10000 && n > -10000, false)
	}
}

// periodStarts reads "next week", "last month" as the period's first day
// ("this week" as today).
func (sc *dateScan) periodStarts() {
	ls := sc.ls
	for _, m := range relPeriodRe.FindAllStringSubmatchIndex(ls, -1) {
		from, _ := relativePeriod(sc.today, ls[m[2]:m[3]], ls[m[4]:m[5]])
		if q := ls[m[2]:m[3]]; q == "this" {
			from = sc.today
		}
		sc.add(m[0], m[1], from, true, false)
	}
}

// daysOfMonth reads "on the 5th": this month's, or next month's once past.
func (sc *dateScan) daysOfMonth() {
	today := sc.today
	for _, m := range theDayRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		d, ok := parseDay(sc.ls[m[2]:m[3]])
		if !ok {
			continue
		}
		t, ok := civil(today.Year(), today.Month(), d, sc.loc)
		if ok && t.Before(today) {
			nm := today.AddDate(0, 0, -today.Day()+1).AddDate(0, 1, 0)
			t, ok = civil(nm.Year(), nm.Month(), d, sc.loc)
		}
		sc.add(m[0], m[1], t, ok, false)
	}
}

// dropContained removes candidates inside a longer one ("march 3" inside
// "march 3 2025", "the 3rd" inside "the 3rd of march").
func dropContained(in []dateSpan) []dateSpan {
	var out []dateSpan
	for i, a := range in {
		inside := false
		for j, b := range in {
			if i != j && b.start <= a.start && a.end <= b.end && (b.end-b.start > a.end-a.start || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, a)
		}
	}
	sortDates(out)
	return out
}

func sortDates(d []dateSpan) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && (d[j].start < d[j-1].start || d[j].start == d[j-1].start && d[j].end > d[j-1].end); j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// relativePeriod resolves "next week", "last month", "this year", ...
func relativePeriod(today time.Time, qual, unit string) (from, to time.Time) {
	step := 0
	switch qual {
	case "next", "coming":
		step = 1
	case "last", "past", "previous":
		step = -1
	}
	switch unit {
	case "week":
		from = weekStart(today).AddDate(0, 0, 7*step)
		to = from.AddDate(0, 0, 6)
	case "weekend":
		sat := weekStart(today).AddDate(0, 0, 5+7*step)
		from, to = sat, sat.AddDate(0, 0, 1)
	case "month":
		first := today.AddDate(0, 0, 1-today.Day())
		from = first.AddDate(0, step, 0)
		to = from.AddDate(0, 1, -1)
	case "year":
		from = time.Date(today.Year()+step, 1, 1, 0, 0, 0, 0, today.Location())
		to = time.Date(today.Year()+step, 12, 31, 0, 0, 0, 0, today.Location())
	}
	return from, to
}

const dateLayout = "2006-01-02"

func extractDate(text string, ref Reference) (span, bool) {
	ds := findDates(text, ref)
	if len(ds) == 0 {
		return span{}, false
	}
	d := ds[0]
	return span{start: d.start, end: d.end, value: d.t.Format(dateLayout)}, true
}

var (
	rangeSepRe   = regexp.MustCompile(`^\s*(?:to|until|till|til|through|thru|and|-|–)\s*`)
	rangeStartRe = regexp.MustCompile(`(?:from|between)\s+$`)
	bareDayRe    = regexp.MustCompile(`^(?:the\s+)?` + dayRe + `\b`)
	periodRe     = regexp.MustCompile(`\b(?:(next|this|last|coming|past|previous)\s+(week|weekend|month|year))\b`)
	lastNRe      = regexp.MustCompile(`\b(?:the\s+)?(next|last|past|coming)\s+` + countRe + `\s+(days|weeks|months)\b`)
	monthOnlyRe  = regexp.MustCompile(`\b(in|during|for|of|throughout)?\s*` + monthRe + `\b(?:\s+(\d{4})\b)?`)
)

// extractDatePeriod finds "from March 3 to 5", "between 3/4 and 3/9",
// "next week", "this weekend", "last 3 days", "in March 2025".
func extractDatePeriod(text string, ref Reference) (span, bool) {
	ls := lower(text)
	today := midnight(ref.now())
	var p periods
	ds := findDates(text, ref)
	for i := range ds {
		p.rangeFrom(ls, ds, i)
	}
	p.relative(ls, today)
	p.lastN(ls, today)
	if len(p) == 0 {
		p.months(ls, today)
	}
	return first(p)
}

// periods are the candidate date periods of an utterance.
type periods []span

// add records the period from..to (in either order) at ls[s:e].
func (p *periods) add(s, e int, from, to time.Time) {
	if to.Before(from) {
		from, to = to, from
	}
	*p = append(*p, span{start: s, end: e, value: map[string]any{"fromDate": from.Format(dateLayout), "toDate": to.Format(dateLayout)}})
}

// rangeFrom reads a range that starts at the date ds[i]: up to the next
// date ("3/4 to 3/9") or to a bare day of the same month ("march 3 to 5";
// of the next month when that day is earlier).
func (p *periods) rangeFrom(ls string, ds []dateSpan, i int) {
	d := ds[i]
	start := d.start
	if loc := rangeStartRe.FindStringIndex(ls[:d.start]); loc != nil {
		start = loc[0]
	}
	sep := rangeSepRe.FindStringIndex(ls[d.end:])
	if sep == nil {
		return
	}
	after := d.end + sep[1]
	if i+1 < len(ds) && ds[i+1].start == after {
		to := ds[i+1].t
		if !ds[i+1].explicitY && to.Before(d.t) && d.explicitY {
			to = to.AddDate(d.t.Year()-to.Year(), 0, 0)
		}
		p.add(start, ds[i+1].end, d.t, to)
		return
	}
	m := bareDayRe.FindStringSubmatchIndex(ls[after:])
	if m == nil {
		return
	}
	day, ok := parseDay(ls[after+m[2] : after+m[3]])
	if !ok {
		return
	}
	to, ok := civil(d.t.Year(), d.t.Month(), day, d.t.Location())
	if ok && to.Before(d.t) {
		nm := d.t.AddDate(0, 0, 1-d.t.Day()).AddDate(0, 1, 0)
		to, ok = civil(nm.Year(), nm.Month(), day, d.t.Location())
	}
	if ok {
		p.add(start, after+m[1], d.t, to)
	}
}

// relative reads "next week", "this weekend", "last year".
func (p *periods) relative(ls string, today time.Time) {
	for _, m := range periodRe.FindAllStringSubmatchIndex(ls, -1) {
		from, to := relativePeriod(today, ls[m[2]:m[3]], ls[m[4]:m[5]])
		p.add(m[0], m[1], from, to)
	}
}

// lastN reads "the last 3 days" (up to yesterday) and "next 2 weeks" (from
// tomorrow).
func (p *periods) lastN(ls string, today time.Time) {
	for _, m := range lastNRe.FindAllStringSubmatchIndex(ls, -1) {
		n := parseCount(ls[m[4]:m[5]])
		if n <= 0 || n > 10000 {
			continue
		}
		unit := ls[m[6]:m[7]]
		if q := ls[m[2]:m[3]]; q == "next" || q == "coming" {
			p.add(m[0], m[1], today.AddDate(0, 0, 1), addUnit(today, n, unit))
		} else {
			p.add(m[0], m[1], addUnit(today, -n, unit), today.AddDate(0, 0, -1))
		}
	}
}

// months reads "in March", "march 2025": the whole month, the coming one
// without a year.
func (p *periods) months(ls string, today time.Time) {
	for _, m := range monthOnlyRe.FindAllStringSubmatchIndex(ls, -1) {
		name := ls[m[4]:m[5]]
		if name == "may" && m[2] < 0 && m[6] < 0 {
			continue // the verb
		}
		mo := monthNames[name]
		y := today.Year()
		if m[6] >= 0 {
			y = parseYear(ls[m[6]:m[7]])
		} else if mo < today.Month() {
			y++
		}
		from, ok := civil(y, mo, 1, today.Location())
		if !ok {
			continue
		}
		s := m[0]
		if m[2] < 0 {
			s = m[4]
		}
		p.add(s, m[1], from, from.AddDate(0, 1, -1))
	}
}
