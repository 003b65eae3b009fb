package entity

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone names work where the system has no zone database (distroless images)
)

// Color, Time Zone and Company / Organization (reference §7).

// colorNames are the CSS named colours and common everyday ones; the value
// is the canonical name, so "grey" and "gray" give "gray".
var colorNames = func() map[string]string {
	m := map[string]string{}
	for _, c := range strings.Fields(`aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue
		blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue
		darkcyan darkgoldenrod darkgray darkgreen darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred
		darksalmon darkseagreen darkslateblue darkslategray darkturquoise darkviolet deeppink deepskyblue dimgray
		dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow
		honeydew hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral
		lightcyan lightgoldenrodyellow lightgray lightgreen lightpink lightsalmon lightseagreen lightskyblue
		lightslategray lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue
		mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred
		midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
		palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple
		rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue
		slateblue slategray snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke
		yellow yellowgreen amber beige bronze burgundy champagne charcoal copper cream emerald jade lilac mauve mint
		mustard ochre peach rose ruby rust sapphire scarlet taupe`) {
		m[c] = c
	}
	// Spoken forms of the compound names, and British spellings.
	for _, p := range []string{"light", "dark", "medium", "pale", "deep", "hot", "navy", "sky", "royal", "forest",
		"lime", "sea", "steel", "midnight", "dodger", "cornflower", "slate", "olive", "dim", "spring", "lawn",
		"powder", "cadet", "rosy", "sandy", "indian", "misty", "dark slate", "light slate", "light sea", "dark sea",
		"medium sea", "medium slate", "medium spring"} {
		for c := range m {
			if rest, ok := strings.CutPrefix(c, strings.ReplaceAll(p, " ", "")); ok && m[rest] == rest && rest != "" {
				m[p+" "+rest] = c
			}
		}
	}
	for k, v := range map[string]string{"grey": "gray", "navy blue": "navy", "off white": "white", "off-white": "white"} {
		m[k] = v
	}
	for k, v := range m {
		if strings.Contains(k, "gray") {
			m[strings.ReplaceAll(k, "gray", "grey")] = v
		}
	}
	return m
}()

// colorRe matches any colour name, longest first.
var colorRe = anyOfRe(slices.Collect(maps.Keys(colorNames)))

// anyOfRe matches any of the phrases as whole words; longer phrases are
// tried first, so "light sea green" wins over "green".
func anyOfRe(phrases []string) *regexp.Regexp {
	sort.Slice(phrases, func(i, j int) bool {
		if len(phrases[i]) != len(phrases[j]) {
			return len(phrases[i]) > len(phrases[j])
		}
		return phrases[i] < phrases[j]
	})
	quoted := make([]string, len(phrases))
	for i, p := range phrases {
		quoted[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`\b(` + strings.Join(quoted, "|") + `)\b`)
}

func extractColor(text string) (span, bool) {
	ls := lower(text)
	m := colorRe.FindStringSubmatchIndex(ls)
	if m == nil {
		return span{}, false
	}
	return span{start: m[0], end: m[1], value: colorNames[ls[m[2]:m[3]]]}, true
}

// zoneNames maps the names people give time zones to IANA zones, so the
// offset follows daylight saving at the reference time ("pacific time" is
// -08:00 in January and -07:00 in July). Fixed abbreviations say which half
// of the year they mean themselves.
var zoneNames = map[string]string{
	"pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles", "pt": "America/Los_Angeles",
	"mountain": "America/Denver", "mountain time": "America/Denver", "mt": "America/Denver",
	"central": "America/Chicago", "central time": "America/Chicago", "ct": "America/Chicago",
	"eastern": "America/New_York", "eastern time": "America/New_York", "et": "America/New_York",
	"alaska time": "America/Anchorage", "hawaii time": "Pacific/Honolulu", "atlantic time": "America/Halifax",
	"uk time": "Europe/London", "british time": "Europe/London", "london time": "Europe/London",
	"central european time": "Europe/Paris", "cet": "Europe/Paris", "european time": "Europe/Paris",
	"eastern european time": "Europe/Athens", "eet": "Europe/Athens",
	"india time": "Asia/Kolkata", "india standard time": "Asia/Kolkata", "ist": "Asia/Kolkata",
	"japan time": "Asia/Tokyo", "jst": "Asia/Tokyo", "china time": "Asia/Shanghai", "china standard time": "Asia/Shanghai",
	"singapore time": "Asia/Singapore", "sgt": "Asia/Singapore", "hong kong time": "Asia/Hong_Kong",
	"australian eastern time": "Australia/Sydney", "aet": "Australia/Sydney", "sydney time": "Australia/Sydney",
	"gulf time": "Asia/Dubai", "gst": "Asia/Dubai", "dubai time": "Asia/Dubai",
	"brasilia time": "America/Sao_Paulo", "brazil time": "America/Sao_Paulo",
}

// zoneOffsets are abbreviations of one fixed offset.
var zoneOffsets = map[string]int{ // minutes east of UTC
	"utc": 0, "gmt": 0, "z": 0, "zulu": 0, "coordinated universal time": 0, "greenwich mean time": 0,
	"pst": -480, "pacific standard time": -480, "pdt": -420, "pacific daylight time": -420,
	"mst": -420, "mountain standard time": -420, "mdt": -360, "mountain daylight time": -360,
	"cst": -360, "central standard time": -360, "cdt": -300, "central daylight time": -300,
	"est": -300, "eastern standard time": -300, "edt": -240, "eastern daylight time": -240,
	"akst": -540, "akdt": -480, "hst": -600, "hawaii standard time": -600, "ast": -240, "adt": -180,
	"bst": 60, "british summer time": 60, "cest": 120, "central european summer time": 120,
	"eest": 180, "msk": 180, "moscow time": 180, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
	"wib": 420, "pkt": 300, "pakistan time": 300,
}

var (
	// zoneWordRe finds a zone name or abbreviation; the abbreviations are
	// upper case in the text (checked by hand), so "est" in "the best" or
	// "it" in "ist" never count.
	zoneWordRe = anyOfRe(append(slices.Collect(maps.Keys(zoneNames)), slices.Collect(maps.Keys(zoneOffsets))...))
	// zoneOffsetRe: "UTC+5:30", "GMT-8", "utc +05:30", "+0530".
	zoneOffsetRe = regexp.MustCompile(`(?:\b(utc|gmt)\s*)?([+\-−])(\d{1,2})(?::?(\d{2}))?\b`)
	// ianaRe: "Europe/Paris", "America/Argentina/Buenos_Aires".
	ianaRe = regexp.MustCompile(`\b([A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_\-]+){1,2})\b`)
)

// zoneCache keeps loaded locations: time.LoadLocation reads the zone
// database on every call.
var zoneCache sync.Map // name → *time.Location

func loadZone(name string) (*time.Location, bool) {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zoneCache.Store(name, loc)
	return loc, true
}

func formatOffset(minutes int) string {
	sign := '+'
	if minutes < 0 {
		sign, minutes = '-', -minutes
	}
	return fmt.Sprintf("%c%02d:%02d", sign, minutes/60, minutes%60)
}

// extractTimeZone returns the offset ("-06:00") of the first time zone
// named in text, at the reference instant.
func extractTimeZone(text string, ref Reference) (span, bool) {
	var out []span
	if m := ianaRe.FindStringSubmatchIndex(text); m != nil {
		if loc, ok := loadZone(text[m[2]:m[3]]); ok {
			_, off := ref.now().In(loc).Zone()
			out = append(out, span{start: m[0], end: m[1], value: formatOffset(off / 60)})
		}
	}
	ls := lower(text)
	for _, m := range zoneOffsetRe.FindAllStringSubmatchIndex(ls, -1) {
		if m[2] < 0 && m[8] < 0 {
			continue // a bare "+5" is a number, "+0530" and "utc+5" are zones
		}
		h, _ := strconv.Atoi(ls[m[6]:m[7]])
		mins := 0
		if m[8] >= 0 {
			mins, _ = strconv.Atoi(ls[m[8]:m[9]])
		}
		if h > 14 || mins > 59 {
			continue
		}
		off := h*60 + mins
		if ls[m[4]:m[5]] != "+" {
			off = -off
		}
		out = append(out, span{start: m[0], end: m[1], value: formatOffset(off)})
	}
	for _, m := range zoneWordRe.FindAllStringSubmatchIndex(ls, -1) {
		name := ls[m[2]:m[3]]
		if !strings.Contains(name, " ") && len(name) <= 5 && text[m[2]:m[3]] != strings.ToUpper(name) {
			continue // abbreviations count only in capitals: "est", "it", "pt" are words
		}
		if mins, ok := zoneOffsets[name]; ok {
			out = append(out, span{start: m[0], end: m[1], value: formatOffset(mins)})
			continue
		}
		if loc, ok := loadZone(zoneNames[name]); ok {
			_, off := ref.now().In(loc).Zone()
			out = append(out, span{start: m[0], end: m[1], value: formatOffset(off / 60)})
		}
	}
	return first(out)
}

// companySuffixes end an organisation's name (Kore: "suffix heuristics").
const companySuffixes = `inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|plc|gmbh|ag|sa|s\.a|nv|bv|pty|group|holdings|technologies|labs|bank|foundation|university|institute`

// companyRe: one to four capitalised words, then a suffix.
var companyRe = regexp.MustCompile(`((?:[A-Z0-9][\w&'.-]*\s+){1,4}?)(?i:(` + companySuffixes + `)\b\.?)`)

func extractCompany(text string) (span, bool) {
	for _, m := range companyRe.FindAllStringSubmatchIndex(text, -1) {
		start := m[2]
		if start > 0 && text[start-1] != ' ' && text[start-1] != '\t' && text[start-1] != '"' && text[start-1] != '(' {
			continue
		}
		name := strings.TrimSpace(text[start:m[1]])
		// The suffix after a generic word is not a name ("The company", "A
		// group", "can I bank here").
		if words := strings.Fields(name); len(words) == 2 && isArticle(words[0]) || words[0] == "I" || words[0] == "I'm" {
			continue
		}
		return span{start: start, end: start + len(name), value: name}, true
	}
	return span{}, false
}

func isArticle(w string) bool {
	switch strings.ToLower(w) {
	case "the", "a", "an", "this", "that", "our", "my", "your", "their", "his", "her":
		return true
	}
	return false
}

// Address (reference §7: a string; US and German formats).
var (
	// usAddressRe: "1600 Pennsylvania Ave NW, Washington, DC 20500",
	// "221B Baker Street", "42 W 3rd St Apt 4".
	usAddressRe = regexp.MustCompile(`(?i)\b\d{1,6}[a-z]?\s+(?:[nsew]\.?\s+|north\s+|south\s+|east\s+|west\s+)?(?:[a-z0-9'.-]+\s+){1,4}?` +
		`(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|way|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|square|sq)\b\.?` +
		`(?:\s+(?:[nsew]{1,2}|north|south|east|west)\b\.?)?` +
		`(?:,?\s+(?:apt|apartment|suite|ste|unit|#)\.?\s*[a-z0-9-]+)?` +
		`(?:,\s*[a-z][a-z .'-]{1,40}?,?\s+[a-z]{2}\s+\d{5}(?:-\d{4})?)?`)
	// deAddressRe: "Hauptstraße 5, 10115 Berlin", "Am Markt 12a",
	// "Goethestr. 7".
	deAddressRe = regexp.MustCompile(`(?i)(?:\b(?-i:Am|An der|Auf der|Auf dem|Im|In der|Zum|Zur|Alte|Neue|Große|Kleine)\s+)?\b[\p{L}-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer|markt)\s+\d{1,4}\s?[a-z]?\b` +
		`(?:,?\s+\d{5}\s+[\p{L}][\p{L} .-]{1,40})?`)
)

func extractAddress(text string) (span, bool) {
	var out []span
	for _, re := range []*regexp.Regexp{usAddressRe, deAddressRe} {
		if m := re.FindStringIndex(text); m != nil {
			s := strings.TrimRight(text[m[0]:m[1]], " ,")
			out = append(out, span{start: m[0], end: m[0] + len(s), value: s})
		}
	}
	return first(out)
}
