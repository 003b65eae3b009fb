// Package entity extracts Kore-style entity values from utterances
// (reference §7): numbers, currencies, percentages, quantities, dates, times,
// date-times, date periods, e-mail addresses, phone numbers, URLs, zip
// codes, countries, cities, person names, colours, time zones, company
// names, addresses, airports, list-of-items values, regex and composite entities, strings and
// descriptions.
//
// Values are JSON-shaped Go values with Kore's shapes: float64 for numbers
// and percentages (0–1), map[string]any for currency {code, amount},
// quantity {unit, amount, type, source}, country {alpha3, alpha2, localName,
// shortName, numericalCode} and date period {fromDate, toDate}, and strings
// for the rest ("YYYY-MM-DD", "T18:00:00+05:30",
// "2017-10-10T18:00:00+05:30", E.164 phone numbers).
//
// Choices:
//   - Dates and times use Parley's own small rule set instead of
//     github.com/olebedev/when or github.com/markusmobius/go-dateparser.
//     when merges date and time into one instant (so "friday" silently
//     carries the reference clock time), has no notion of a period ("from
//     March 3 to 5"), and its "next <weekday>" differs between rule sets;
//     go-dateparser parses whole strings well but searching inside a
//     sentence is slow and it loads large locale tables at start-up. A
//     single rule table keeps the semantics documented below, deterministic
//     and relative to the caller's reference time and zone.
//   - Phone numbers are validated and formatted (E.164) by
//     github.com/nyaruka/phonenumbers, a port of libphonenumber; candidate
//     spans are found by a regular expression because that port has no
//     matcher.
//   - Country and City come from a small gazetteer embedded in the binary
//     (geo.json, written for Parley): the most populous countries and
//     cities, not geonames, so the package stays small and offline.
//
// Date semantics, relative to Reference.Now in its location: a bare or
// "this"/"coming" weekday is the nearest such day on or after today; "next
// <weekday>" is the nearest one strictly after today; "last <weekday>" the
// nearest strictly before. A month and day without a year is the next such
// date on or after today. "3/4/2025" is month/day/year for region US (the
// default) and day/month/year elsewhere; "3.4.2025" is always day.month.year.
//
// No parser panics on any input: each has a fuzz target.
package entity

import (
	"regexp"
	"strings"
	"sync"
	"time"
)

// Type is an entity type.
type Type string

// Entity types (Kore names, lower case).
const (
	Number      Type = "number"
	Currency    Type = "currency"
	Percentage  Type = "percentage"
	Quantity    Type = "quantity"
	Date        Type = "date"
	Time        Type = "time"
	DateTime    Type = "datetime"
	DatePeriod  Type = "dateperiod"
	Email       Type = "email"
	Phone       Type = "phone"
	URL         Type = "url"
	Zip         Type = "zip"
	Country     Type = "country"
	City        Type = "city"
	PersonName  Type = "personname"
	List        Type = "list"
	Regex       Type = "regex"
	Custom      Type = "custom" // a regex, as Kore's custom entity
	Composite   Type = "composite"
	String      Type = "string"
	Description Type = "description"
	Color       Type = "color"
	TimeZone    Type = "timezone"
	Company     Type = "company" // Kore's Company / Organization
	Address     Type = "address"
	Airport     Type = "airport"
)

// Spec describes an entity to extract.
type Spec struct {
	Type Type `json:"type"`
	// Values are the items of a List entity.
	Values []ListValue `json:"values,omitempty"`
	// Regex is the expression of a Regex or Custom entity (RE2 syntax); the
	// first capture group is the value when there is one.
	Regex string `json:"regex,omitempty"`
	// UnitType restricts a Quantity to one type (length, weight, volume,
	// time, temperature, memory, speed, area, age, angle, pressure, energy);
	// DefaultUnit is the unit of a bare number.
	UnitType    string `json:"unitType,omitempty"`
	DefaultUnit string `json:"defaultUnit,omitempty"`
	// Components are the sub-entities of a Composite entity.
	Components map[string]Spec `json:"components,omitempty"`
	// NoFuzzy turns off spelling tolerance for List values.
	NoFuzzy bool `json:"noFuzzy,omitempty"`
}

// ListValue is one item of a List entity.
type ListValue struct {
	Title    string   `json:"title"`
	Value    string   `json:"value"`
	Synonyms []string `json:"synonyms,omitempty"`
}

// Reference is the context relative values are resolved against.
type Reference struct {
	// Now is the reference instant; its Location is the user's time zone.
	// The zero value means time.Now() in UTC.
	Now time.Time
	// Region is the ISO 3166 alpha-2 default region for phone numbers, zip
	// codes and numeric date order; "" means "US".
	Region string
	// Language is the bot language ("es", "fr-CA"); besides English, the
	// Spanish and French words of numbers and dates are read (local.go).
	Language string
}

func (r Reference) now() time.Time {
	if r.Now.IsZero() {
		return time.Now().UTC()
	}
	return r.Now
}

func (r Reference) region() string {
	if r.Region == "" {
		return "US"
	}
	return strings.ToUpper(r.Region)
}

// Match is an extracted value and where it was found. Start and End are
// byte offsets into the utterance; Text is utterance[Start:End].
type Match struct {
	Value any
	Text  string
	Start int
	End   int
}

// Extract finds the first value of the entity spec in text. It never
// panics; ok is false when nothing is found or the spec is invalid.
func Extract(spec Spec, text string, ref Reference) (m Match, ok bool) {
	defer func() {
		// Defence in depth for a long-running server: a parser bug must
		// cost one entity, not the dialog turn.
		if recover() != nil {
			m, ok = Match{}, false
		}
	}()
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	var s span
	switch spec.Type {
	case Number:
		s, ok = extractNumber(text, baseLanguage(ref.Language))
	case Currency:
		s, ok = extractCurrency(text, baseLanguage(ref.Language))
	case Percentage:
		s, ok = extractPercentage(text)
	case Quantity:
		s, ok = extractQuantity(text, spec)
	case Date:
		s, ok = extractDate(text, ref)
	case Time:
		s, ok = extractTime(text, ref)
	case DateTime:
		s, ok = extractDateTime(text, ref)
	case DatePeriod:
		s, ok = extractDatePeriod(text, ref)
	case Email:
		s, ok = extractRegexp(text, emailRe)
	case URL:
		s, ok = extractURL(text)
	case Phone:
		s, ok = extractPhone(text, ref)
	case Zip:
		s, ok = extractZip(text, ref)
	case Country:
		s, ok = extractCountry(text)
	case City:
		s, ok = extractCity(text)
	case PersonName:
		s, ok = extractPersonName(text)
	case List:
		s, ok = extractList(text, spec)
	case Regex, Custom:
		s, ok = extractCustom(text, spec)
	case Composite:
		s, ok = extractComposite(text, spec, ref)
	case String, Description:
		s, ok = extractString(text)
	case Color:
		s, ok = extractColor(text)
	case TimeZone:
		s, ok = extractTimeZone(text, ref)
	case Company:
		s, ok = extractCompany(text)
	case Address:
		s, ok = extractAddress(text)
	case Airport:
		s, ok = extractAirport(text)
	default:
		return Match{}, false
	}
	if !ok || s.start < 0 || s.end > len(text) || s.start > s.end {
		return Match{}, false
	}
	return Match{Value: s.value, Text: text[s.start:s.end], Start: s.start, End: s.end}, true
}

// maxInput bounds the work per utterance; Kore caps utterances at 3000
// characters.
const maxInput = 4096

// span is a candidate value with its byte offsets.
type span struct {
	start, end int
	value      any
}

// first returns the leftmost, then longest, candidate.
func first(c []span) (span, bool) {
	if len(c) == 0 {
		return span{}, false
	}
	best := c[0]
	for _, s := range c[1:] {
		if s.start < best.start || (s.start == best.start && s.end > best.end) {
			best = s
		}
	}
	return best, true
}

// lower lower-cases ASCII letters only, so byte offsets in the result are
// offsets in the input.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

var reCache sync.Map // string → *regexp.Regexp or error

func compileCached(expr string) (*regexp.Regexp, error) {
	if v, ok := reCache.Load(expr); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		reCache.Store(expr, err)
		return nil, err
	}
	reCache.Store(expr, re)
	return re, nil
}

// Validate reports a spec that can never match, such as a bad regex.
func (s Spec) Validate() error {
	switch s.Type {
	case Regex, Custom:
		if s.Regex == "" {
			return errEmptyRegex
		}
		_, err := compileCached(s.Regex)
		return err
	case List:
		if len(s.Values) == 0 {
			return errEmptyList
		}
	case Composite:
		if len(s.Components) == 0 {
			return errEmptyComposite
		}
		for _, c := range s.Components {
			if c.Type == Composite || c.Type == Description {
				return errBadComponent
			}
			if err := c.Validate(); err != nil {
				return err
			}
		}
	case Quantity:
		if s.UnitType != "" && !knownUnitType(s.UnitType) {
			return errUnitType
		}
	case Number, Currency, Percentage, Date, Time, DateTime, DatePeriod, Email, URL, Phone, Zip,
		Country, City, PersonName, String, Description, Color, TimeZone, Company, Address, Airport:
	default:
		return errUnknownType
	}
	return nil
}
