package entity

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/parleyhq/parley/nlu/lang"
)

// airports.json.gz: the airports with an IATA code and scheduled service,
// from OurAirports (public domain); internal/airportgen writes it.
//
//go:embed airports.json.gz
var airportsGz []byte

type airportRow struct {
	iata, icao, name, city, country string
	lat, lon                        float64
	large                           bool
}

// genericAirportWords cannot name an airport alone ("International",
// "Regional"): a one-word alias must be more specific.
var genericAirportWords = map[string]bool{
	"international": true, "airport": true, "regional": true, "municipal": true, "national": true, "county": true,
	"city": true, "central": true, "field": true, "air": true, "base": true, "new": true, "north": true, "south": true,
	"east": true, "west": true, "intl": true, "metropolitan": true, "domestic": true, "airfield": true, "aerodrome": true,
	"memorial": true, "island": true, "lake": true, "valley": true, "bay": true, "mount": true, "port": true, "saint": true,
}

var airports = sync.OnceValue(func() (a struct {
	rows   []airportRow
	byIATA map[string]int
	names  []gazEntry
}) {
	zr, err := gzip.NewReader(bytes.NewReader(airportsGz))
	if err != nil {
		return a // the embedded table is tested; an empty one matches nothing
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return a
	}
	var raw [][]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return a
	}
	a.byIATA = map[string]int{}
	for _, r := range raw {
		if len(r) != 8 {
			continue
		}
		row := airportRow{}
		row.iata, _ = r[0].(string)
		row.icao, _ = r[1].(string)
		row.name, _ = r[2].(string)
		row.city, _ = r[3].(string)
		row.country, _ = r[4].(string)
		row.lat, _ = r[5].(float64)
		row.lon, _ = r[6].(float64)
		row.large, _ = r[7].(bool)
		a.byIATA[row.iata] = len(a.rows)
		a.rows = append(a.rows, row)
	}
	// Names: the airport's name with and without "International Airport",
	// and without the city in front ("London Heathrow" is also
	// "Heathrow"); a city with a single large airport names it. A name
	// shared by two airports names neither.
	owners := map[string][]int{}
	add := func(name string, i int) {
		key := strings.Join(phraseTokens(name), " ")
		if key == "" {
			return
		}
		if toks := strings.Fields(key); len(toks) == 1 && (genericAirportWords[key] || len([]rune(key)) < 5) {
			return
		}
		for _, o := range owners[key] {
			if o == i {
				return
			}
		}
		owners[key] = append(owners[key], i)
	}
	largeInCity := map[string][]int{}
	for i, r := range a.rows {
		short := r.name
		for _, suffix := range []string{" International Airport", " Intl Airport", " Airport", " International"} {
			short = strings.TrimSuffix(short, suffix)
		}
		// "Amsterdam Airport Schiphol" is also "Amsterdam Schiphol" and
		// "Schiphol".
		var kept []string
		for _, w := range strings.Fields(short) {
			if lw := strings.ToLower(w); lw != "airport" && lw != "international" && lw != "intl" {
				kept = append(kept, w)
			}
		}
		bare := strings.Join(kept, " ")
		add(r.name, i)
		add(short, i)
		add(bare, i)
		for _, n := range []string{short, bare} {
			if rest, ok := strings.CutPrefix(n, r.city+" "); ok && r.city != "" {
				add(rest, i)
			}
		}
		if r.large && r.city != "" {
			key := strings.Join(phraseTokens(r.city), " ")
			largeInCity[key] = append(largeInCity[key], i)
		}
	}
	for city, is := range largeInCity {
		if len(is) == 1 {
			add(city, is[0])
		}
	}
	keys := make([]string, 0, len(owners))
	for k := range owners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(owners[k]) == 1 {
			a.names = append(a.names, gazEntry{toks: strings.Fields(k), idx: owners[k][0]})
		}
	}
	sort.SliceStable(a.names, func(i, j int) bool { return len(a.names[i].toks) > len(a.names[j].toks) })
	return a
})

// extractAirport finds an airport by its IATA code (in capitals), its name
// ("Heathrow", "Charles de Gaulle") or a city with one large airport
// ("Frankfurt"). The value is Kore's {IATA, AirportName, City, ICAO} with
// the coordinates its batch tests add.
func extractAirport(text string) (span, bool) {
	a := airports()
	var out []span
	value := func(i int) map[string]any {
		r := a.rows[i]
		return map[string]any{"IATA": r.iata, "AirportName": r.name, "City": r.city, "ICAO": r.icao,
			"Latitude": r.lat, "Longitude": r.lon}
	}
	if !mostlyUpper(text) { // in a shouted sentence every word looks like a code
		for _, t := range lang.SplitWords(text) {
			if w := text[t.Start:t.End]; len(w) == 3 && strings.ToUpper(w) == w {
				if i, ok := a.byIATA[w]; ok {
					out = append(out, span{start: t.Start, end: t.End, value: value(i)})
				}
			}
		}
	}
	if e, s, end, ok := findGaz(text, a.names); ok {
		out = append(out, span{start: s, end: end, value: value(e.idx)})
	}
	return first(out)
}

func mostlyUpper(s string) bool {
	up, low := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			up++
		case unicode.IsLower(r):
			low++
		}
	}
	return up > low
}
