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
	var out []timeSpan
	pm := pmContext.MatchString(ls)
	am := amContextR.MatchString(ls)
	// adjust applies the part of day to a 12-hour clock value.
	adjust := func(h int) int {
		if h < 12 && pm {
			return h + 12
		}
		if h == 12 && am && !pm {
			return 0
		}
		return h
	}
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
	for _, m := range clock24Re.FindAllStringSubmatchIndex(ls, -1) {
		h, _ := strconv.Atoi(ls[m[2]:m[3]])
		mi, _ := strconv.Atoi(ls[m[4]:m[5]])
		se := 0
		if m[6] >= 0 {
			se, _ = strconv.Atoi(ls[m[6]:m[7]])
		}
		if h <= 12 && (pm || am) {
			h = adjust(h)
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h, m: mi, s: se})
	}
	for _, m := range oclockRe.FindAllStringSubmatchIndex(ls, -1) {
		if h, ok := hourValue(ls[m[2]:m[3]]); ok && h <= 12 {
			out = append(out, timeSpan{start: m[0], end: m[1], h: adjust(h)})
		}
	}
	for _, m := range pastToRe.FindAllStringSubmatchIndex(ls, -1) {
		h, ok := hourValue(ls[m[6]:m[7]])
		if !ok || h > 12 {
			continue
		}
		var mins int
		switch w := ls[m[2]:m[3]]; w {
		case "half":
			mins = 30
		case "quarter":
			mins = 15
		default:
			mins = parseCount(w)
			if w == "twenty five" {
				mins = 25
			}
		}
		if mins <= 0 || mins >= 60 {
			continue
		}
		h = adjust(h)
		if d := ls[m[4]:m[5]]; d == "to" || d == "before" {
			h, mins = (h+23)%24, 60-mins
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h, m: mins})
	}
	for _, m := range namedRe.FindAllStringSubmatchIndex(ls, -1) {
		h := 12
		if ls[m[2]:m[3]] == "midnight" {
			h = 0
		}
		out = append(out, timeSpan{start: m[0], end: m[1], h: h})
	}
	now := ref.now()
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
	if len(out) == 0 {
		// "at 5": hours 1–7 without a part of day are read as p.m., since
		// appointments at 5 a.m. are rare and users omit "pm".
		for _, m := range atHourRe.FindAllStringSubmatchIndex(ls, -1) {
			h, ok := hourValue(ls[m[2]:m[3]])
			if !ok || h > 23 {
				continue
			}
			if !am && !pm && h >= 1 && h <= 7 {
				h += 12
			} else if h <= 12 {
				h = adjust(h)
			}
			out = append(out, timeSpan{start: m[0], end: m[1], h: h % 24})
		}
	}
	if len(out) == 0 {
		for _, m := range partOfDay.FindAllStringSubmatchIndex(ls, -1) {
			h := map[string]int{"morning": 9, "afternoon": 15, "evening": 18, "tonight": 20, "night": 20}[ls[m[2]:m[3]]]
			out = append(out, timeSpan{start: m[0], end: m[1], h: h})
		}
	}
	sortTimes(out)
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
