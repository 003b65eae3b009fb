package entity

import (
	"testing"
	"time"
)

func TestColorTimeZoneCompany(t *testing.T) {
	winter := Reference{Now: time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)}
	summer := Reference{Now: time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC)}
	tests := []struct {
		name  string
		typ   Type
		text  string
		ref   Reference
		want  string // JSON of the value; "" means nothing found
		found string
	}{
		{"colour", Color, "I'd like it in Crimson please", winter, `"crimson"`, "Crimson"},
		{"spoken compound", Color, "make it light sea green", winter, `"lightseagreen"`, "light sea green"},
		{"british spelling", Color, "grey", winter, `"gray"`, "grey"},
		{"no colour", Color, "redo the order", winter, "", ""},
		{"offset", TimeZone, "I am in UTC+5:30", winter, `"+05:30"`, "UTC+5:30"},
		{"gmt offset", TimeZone, "call me at GMT-8", winter, `"-08:00"`, "GMT-8"},
		{"abbreviation", TimeZone, "9am PST", winter, `"-08:00"`, "PST"},
		{"named zone follows DST, winter", TimeZone, "pacific time", winter, `"-08:00"`, "pacific time"},
		{"named zone follows DST, summer", TimeZone, "pacific time", summer, `"-07:00"`, "pacific time"},
		{"iana", TimeZone, "my zone is Asia/Kolkata", winter, `"+05:30"`, "Asia/Kolkata"},
		{"iana with DST", TimeZone, "Europe/Paris", summer, `"+02:00"`, "Europe/Paris"},
		{"lower-case abbreviations are words", TimeZone, "the best time is it", winter, "", ""},
		{"bare sign is a number", TimeZone, "add +5 points", winter, "", ""},
		{"company", Company, "I work at Acme Corp. now", winter, `"Acme Corp."`, "Acme Corp."},
		{"company, several words", Company, "send it to Wayne Enterprises Holdings", winter, `"Wayne Enterprises Holdings"`, "Wayne Enterprises Holdings"},
		{"company, GmbH", Company, "Muster GmbH", winter, `"Muster GmbH"`, "Muster GmbH"},
		{"not a company", Company, "the company is great", winter, "", ""},
		{"pronoun", Company, "can I bank here", winter, "", ""},
		{"US address", Address, "send it to 1600 Pennsylvania Ave NW, Washington, DC 20500 please", winter,
			`"1600 Pennsylvania Ave NW, Washington, DC 20500"`, "1600 Pennsylvania Ave NW, Washington, DC 20500"},
		{"US street with apartment", Address, "I live at 42 W 3rd St Apt 4", winter, `"42 W 3rd St Apt 4"`, "42 W 3rd St Apt 4"},
		{"German address", Address, "Lieferung an Hauptstraße 5, 10115 Berlin", winter, `"Hauptstraße 5, 10115 Berlin"`, "Hauptstraße 5, 10115 Berlin"},
		{"German short form", Address, "Goethestr. 7", winter, `"Goethestr. 7"`, "Goethestr. 7"},
		{"no address", Address, "I have 3 street cats", winter, "", ""},
		{"English word ending like a German street", Address, "during 5 days", winter, "", ""},
		{"airport by code", Airport, "I land at LHR tomorrow", winter, `"LHR"`, "LHR"},
		{"airport by name", Airport, "departing from Heathrow", winter, `"LHR"`, "Heathrow"},
		{"airport by long name", Airport, "to charles de gaulle please", winter, `"CDG"`, "charles de gaulle"},
		{"the leftmost airport", Airport, "from Schiphol to Narita", winter, `"AMS"`, "Schiphol"},
		{"a city with one large airport", Airport, "flights to Frankfurt", winter, `"FRA"`, "Frankfurt"},
		{"a city with several is not one airport", Airport, "flights to Paris", winter, "", ""},
		{"lower-case words are not codes", Airport, "the cat sat", winter, "", ""},
		{"shouting is not codes", Airport, "I WANT THE BIG ONE", winter, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Extract(Spec{Type: tt.typ}, tt.text, tt.ref)
			if tt.want == "" {
				if ok {
					t.Fatalf("found %s in %q, want nothing", jsonOf(m.Value), m.Text)
				}
				return
			}
			got := jsonOf(m.Value)
			if v, isMap := m.Value.(map[string]any); isMap && tt.typ == Airport {
				got = jsonOf(v["IATA"])
			}
			if !ok || got != tt.want || m.Text != tt.found {
				t.Fatalf("= %s from %q (%v), want %s from %q", jsonOf(m.Value), m.Text, ok, tt.want, tt.found)
			}
		})
	}
}
