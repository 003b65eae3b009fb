package entity

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/parleyhq/parley/nlu/lang"
)

//go:embed geo.json
var geoJSON []byte

type geoCountry struct {
	Alpha2        string   `json:"alpha2"`
	Alpha3        string   `json:"alpha3"`
	NumericalCode string   `json:"numericalCode"`
	ShortName     string   `json:"shortName"`
	LocalName     string   `json:"localName"`
	Aliases       []string `json:"aliases"`
}

type geoCity struct {
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Population int      `json:"population"`
	Aliases    []string `json:"aliases"`
}

// gazEntry is one name of a place, tokenised.
type gazEntry struct {
	toks []string
	idx  int
	rank int // population for cities, for choosing between homonyms
}

var geo = sync.OnceValue(func() (g struct {
	countries []geoCountry
	cities    []geoCity
	cNames    []gazEntry
	yNames    []gazEntry
}) {
	var raw struct {
		Countries []geoCountry `json:"countries"`
		Cities    []geoCity    `json:"cities"`
	}
	if err := json.Unmarshal(geoJSON, &raw); err != nil {
		return g // embedded data is tested; an empty gazetteer matches nothing
	}
	g.countries, g.cities = raw.Countries, raw.Cities
	for i, c := range raw.Countries {
		for _, n := range append([]string{c.ShortName, c.LocalName}, c.Aliases...) {
			if t := phraseTokens(n); len(t) > 0 {
				g.cNames = append(g.cNames, gazEntry{toks: t, idx: i})
			}
		}
	}
	for i, c := range raw.Cities {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if t := phraseTokens(n); len(t) > 0 {
				g.yNames = append(g.yNames, gazEntry{toks: t, idx: i, rank: c.Population})
			}
		}
	}
	// Longest names first, then the most populous place.
	order := func(e []gazEntry) {
		sort.SliceStable(e, func(i, j int) bool {
			if len(e[i].toks) != len(e[j].toks) {
				return len(e[i].toks) > len(e[j].toks)
			}
			return e[i].rank > e[j].rank
		})
	}
	order(g.cNames)
	order(g.yNames)
	return g
})

// findGaz returns the leftmost, longest gazetteer entry in text. Short
// all-caps aliases ("UK", "LA", "DC") only match when written in capitals,
// so the words "la" or "dc" in a sentence are not places.
func findGaz(text string, names []gazEntry) (gazEntry, int, int, bool) {
	toks := lang.SplitWords(text)
	bestStart := len(text) + 1
	var best gazEntry
	var bs, be int
	for _, e := range names {
		m, ok := findPhrase(toks, e.toks, false)
		for ok {
			start, end := toks[m.i].Start, toks[m.i+m.n-1].End
			surface := text[start:end]
			if len(e.toks) == 1 && len(e.toks[0]) <= 3 && !capitalised(surface) {
				// try a later occurrence
				rest := toks[m.i+1:]
				var m2 phraseMatch
				m2, ok = findPhrase(rest, e.toks, false)
				m2.i += m.i + 1
				m = m2
				continue
			}
			if start < bestStart {
				best, bs, be, bestStart = e, start, end, start
			}
			break
		}
	}
	return best, bs, be, bestStart <= len(text)
}

// extractCountry finds a country by name, alias or (in capitals) code.
func extractCountry(text string) (span, bool) {
	g := geo()
	e, s, end, ok := findGaz(text, g.cNames)
	if !ok {
		// ISO codes in capitals: "ship to DE".
		for _, t := range lang.SplitWords(text) {
			w := text[t.Start:t.End]
			if (len(w) == 2 || len(w) == 3) && strings.ToUpper(w) == w {
				for i, c := range g.countries {
					if c.Alpha2 == w || c.Alpha3 == w {
						return span{start: t.Start, end: t.End, value: countryValue(g.countries[i])}, true
					}
				}
			}
		}
		return span{}, false
	}
	return span{start: s, end: end, value: countryValue(g.countries[e.idx])}, true
}

// capitalised: two-letter names in capitals ("UK", "LA"), three-letter
// ones at least with a capital initial ("Rio", "USA").
func capitalised(s string) bool {
	if len(s) <= 2 {
		return strings.ToUpper(s) == s
	}
	return s != "" && s[0] >= 'A' && s[0] <= 'Z'
}

func countryValue(c geoCountry) map[string]any {
	return map[string]any{"alpha3": c.Alpha3, "alpha2": c.Alpha2, "localName": c.LocalName, "shortName": c.ShortName, "numericalCode": c.NumericalCode}
}

// extractCity finds a city; of two cities with the same name the more
// populous wins, as in Kore.
func extractCity(text string) (span, bool) {
	g := geo()
	e, s, end, ok := findGaz(text, g.yNames)
	if !ok {
		return span{}, false
	}
	return span{start: s, end: end, value: g.cities[e.idx].Name}, true
}
