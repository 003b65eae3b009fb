package entity

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeSpan is a time of day found in text; abs is set for relative times
// ("in 2 hours", "now") that also fix the date.
type timeSpan struct {
	start, end int
	h, m, s    int
	abs        *time.Time
}

const hourWords = `(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)`

var (
	ampmRe     = regexp.MustCompile(`\b(\d{1,2})(?::([0-5]\d))?(?::([0-5]\d))?\s*(a\.?m\.?|p\.?m\.?)(?:[^a-z]|$)`)
	clock24Re  = regexp.MustCompile(`\b([01]?\d|2[0-3])[:h]([0-5]\d)(?::([0-5]\d))?\b`)
	oclockRe   = regexp.MustCompile(`\b` + hourWords + `\s*o'?\s?clock\b`)
	pastToRe   = regexp.MustCompile(`\b(half|quarter|\d{1,2}|twenty|ten|five|twenty five)\s+(past|after|to|before)\s+` + hourWords + `\b`)
	atHourRe   = regexp.MustCompile(`\b(?:at|by|around)\s+` + hourWords + `\b`)
	namedRe    = regexp.MustCompile(`\b(noon|midday|midnight)\b`)
	inDurRe    = regexp.MustCompile(`\bin\s+` + countRe + `\s+(hours?|minutes?|mins?)\b`)
	nowRe      = regexp.MustCompile(`\b(now|right now|immediately|asap)\b`)
	partOfDay  = regexp.MustCompile(`\b(morning|afternoon|evening|tonight|night)\b`)
	pmContext  = regexp.MustCompile(`\b(afternoon|evening|tonight|night|pm|p\.m\.)\b`)
	amContextR = regexp.MustCompile(`\b(morning|am|a\.m\.)\b`)
)

func hourValue(s string) (int, bool) {
	if v, ok := units[s]; ok && v >= 1 && v <= 12 {
		return int(v), true
	}
	h, err := strconv.Atoi(s)
	return h, err == nil && h >= 0 && h <= 24
}

// findTimes returns every time of day in text.
func findTimes(text string, ref Reference) []timeSpan {
	ls := lower(text)
	sc := timeScan{ls: ls, pm: pmContext.MatchString(ls), am: amContextR.MatchString(ls)}
	var out []timeSpan
	out = append(out, sc.twelveHourTimes()...)
	out = append(out, sc.clockTimes()...)
	out = append(out, sc.oclockTimes()...)
	out = append(out, sc.pastToTimes()...)
	out = append(out, sc.namedTimes()...)
	out = append(out, sc.relativeTimes(ref.now())...)
	if len(out) == 0 {
		out = sc.bareHours()
	}
	if len(out) == 0 {
		out = sc.partsOfDay()
	}
	sortTimes(out)
	return out
}

// timeScan is an utterance (lower case) searched for times of day, and
// whether it names a part of day anywhere ("tonight", "in the morning").
type timeScan struct {
	ls     string
	am, pm bool
}

// adjust applies the part of day to a 12-hour clock value.
func (sc timeScan) adjust(h int) int {
	if h < 12 && sc.pm {
		return h + 12
	}
	if h == 12 && sc.am && !sc.pm {
		return 0
	}
	return h
}

// twelveHourTimes reads "5pm", "5:30 a.m.", "11:15:20 pm".
func (sc timeScan) twelveHourTimes() []timeSpan {
	ls := sc.ls
	var out []timeSpan
	for _, m := range ampmRe.FindAllStringSubmatchIndex(ls, -1) {
		h, _ := strconv.Atoi(ls[m[2]:m[3]])
		if h < 1 || h > 12 {
			continue
		}
		mi, se := 0, 0
		if m[4] >= 0 {
			mi, _ = strconv.Atoi(ls[m[4]:m[5]])
		}
		if m[6] >= 0 {
			se, _ = strconv.Atoi(ls[m[6]:m[7]])
		}
		if ls[m[8]] == 'p' && h < 12 {
			h += 12
		} else if ls[m[8]] == 'a' && h == 12 {
			h = 0
		}
		end := m[9]
		out = append(out, timeSpan{start: m[0], end: end, h: h, m: mi, s: se})
	}
	return out
}

// clockTimes reads "17:30" and "5:30:10", a 12-hour value adjusted to the
// part of day.
func (sc timeScan) clockTimes() []timeSpan {
	ls := sc.ls
	var out []timeSpan
	for _, m := range clock24Re.FindAllStringSubmatchIndex(ls, -1) {
		h, _ := strconv.Atoi(ls[m[2]:m[3]])
		mi, _ := strconv.Atoi(ls[m[4]:m[5]])
		se := 0
		if m[6] >= 0 {
			se, _ = strconv.Atoi(ls[m[6]:m[7]])
		}
		if h <= 12 && (sc.pm || sc.am) {
			h = sc.adjust(h)
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h, m: mi, s: se})
	}
	return out
}

// oclockTimes reads "five o'clock".
func (sc timeScan) oclockTimes() []timeSpan {
	var out []timeSpan
	for _, m := range oclockRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		if h, ok := hourValue(sc.ls[m[2]:m[3]]); ok && h <= 12 {
			out = append(out, timeSpan{start: m[0], end: m[1], h: sc.adjust(h)})
		}
	}
	return out
}

// pastToTimes reads "half past five", "quarter to six", "ten past 3".
func (sc timeScan) pastToTimes() []timeSpan {
	ls := sc.ls
	var out []timeSpan
	for _, m := range pastToRe.FindAllStringSubmatchIndex(ls, -1) {
		h, ok := hourValue(ls[m[6]:m[7]])
		if !ok || h > 12 {
			continue
		}
		mins := pastToMinutes(ls[m[2]:m[3]])
		if mins <= 0 || mins >= 60 {
			continue
		}
		h = sc.adjust(h)
		if d := ls[m[4]:m[5]]; d == "to" || d == "before" {
			h, mins = (h+23)%24, 60-mins
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h, m: mins})
	}
	return out
}

// pastToMinutes is the minutes of "half", "quarter" or a count.
func pastToMinutes(w string) int {
	switch w {
	case "half":
		return 30
	case "quarter":
		return 15
	case "twenty five":
		return 25
	}
	return parseCount(w)
}

// namedTimes reads "noon" and "midnight".
func (sc timeScan) namedTimes() []timeSpan {
	var out []timeSpan
	for _, m := range namedRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		h := 12
		if sc.ls[m[2]:m[3]] == "midnight" {
			h = 0
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h})
	}
	return out
}

// relativeTimes reads "in 20 minutes" and "now", instants from now.
func (sc timeScan) relativeTimes(now time.Time) []timeSpan {
	ls := sc.ls
	var out []timeSpan
	for _, m := range inDurRe.FindAllStringSubmatchIndex(ls, -1) {
		n := parseCount(ls[m[2]:m[3]])
		if n <= 0 || n > 100000 {
			continue
		}
		t := addUnit(now, n, strings.TrimSuffix(ls[m[4]:m[5]], "s"))
		out = append(out, timeSpan{start: m[0], end: m[1], h: t.Hour(), m: t.Minute(), s: t.Second(), abs: &t})
	}
	for _, m := range nowRe.FindAllStringSubmatchIndex(ls, -1) {
		t := now
		out = append(out, timeSpan{start: m[0], end: m[1], h: t.Hour(), m: t.Minute(), s: t.Second(), abs: &t})
	}
	return out
}

// bareHours reads "at 5" when nothing else is a time: hours 1–7 without a
// part of day are read as p.m., since appointments at 5 a.m. are rare and
// users omit "pm".
func (sc timeScan) bareHours() []timeSpan {
	var out []timeSpan
	for _, m := range atHourRe.FindAllStringSubmatchIndex(sc.ls, -1) {
		h, ok := hourValue(sc.ls[m[2]:m[3]])
		if !ok || h > 23 {
			continue
		}
		if !sc.am && !sc.pm && h >= 1 && h <= 7 {
			h += 12
		} else if h <= 12 {
			h = sc.adjust(h)
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h % 24})
	}
	return out
}

// partsOfDay reads "this morning", "tonight" when nothing else is a time.
func (sc timeScan) partsOfDay() []timeSpan {
	var out []timeSpan
	for _, m := range partOfDay.FindAllStringSubmatchIndex(sc.ls, -1) {
		h := map[string]int{"morning": 9, "afternoon": 15, "evening": 18, "tonight": 20, "night": 20}[sc.ls[m[2]:m[3]]]
		out = append(out, timeSpan{start: m[0], end: m[1], h: h})
	}
	return out
}

func sortTimes(t []timeSpan) {
	for i := 1; i < len(t); i++ {
		for j := i; j > 0 && (t[j].start < t[j-1].start || t[j].start == t[j-1].start && t[j].end > t[j-1].end); j-- {
			t[j], t[j-1] = t[j-1], t[j]
		}
	}
}

func extractTime(text string, ref Reference) (span, bool) {
	ts := findTimes(text, ref)
	if len(ts) == 0 {
		return span{}, false
	}
	t := ts[0]
	today := midnight(ref.now())
	at := time.Date(today.Year(), today.Month(), today.Day(), t.h, t.m, t.s, 0, today.Location())
	if t.abs != nil {
		at = *t.abs
	}
	return span{start: t.start, end: t.end, value: at.Format("T15:04:05-07:00")}, true
}

// extractDateTime combines the first date and the first time ("tomorrow at
// 6pm"); a time alone is today, a relative time ("in 2 hours") fixes both,
// and a date alone is not a date-time.
func extractDateTime(text string, ref Reference) (span, bool) {
	ts := findTimes(text, ref)
	ds := findDates(text, ref)
	var date *dateSpan
	for i := range ds {
		if ds[i].start >= 0 && !strings.Contains(lower(text[ds[i].start:ds[i].end]), "now") {
			date = &ds[i]
			break
		}
	}
	if len(ts) == 0 {
		return span{}, false
	}
	t := ts[0]
	if t.abs != nil && date == nil {
		return span{start: t.start, end: t.end, value: t.abs.Format(time.RFC3339)}, true
	}
	day := midnight(ref.now())
	start, end := t.start, t.end
	if date != nil {
		day = date.t
		start, end = min(start, date.start), max(end, date.end)
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), t.h, t.m, t.s, 0, day.Location())
	return span{start: start, end: end, value: at.Format("2006-01-02T15:04:05-07:00")}, true
}
