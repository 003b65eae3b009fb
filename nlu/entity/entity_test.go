package entity

import (
	"encoding/json"
	"testing"
	"time"
)

// ref is Wednesday 2025-03-05 10:00 in India (+05:30).
func ref(t testing.TB) Reference {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		loc = time.FixedZone("IST", 5*3600+1800)
	}
	return Reference{Now: time.Date(2025, 3, 5, 10, 0, 0, 0, loc)}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestExtract(t *testing.T) {
	r := ref(t)
	gb := r
	gb.Region = "GB"
	list := Spec{Type: List, Values: []ListValue{
		{Title: "Large", Value: "L", Synonyms: []string{"big", "huge"}},
		{Title: "Extra large", Value: "XL", Synonyms: []string{"extra big"}},
		{Title: "Medium", Value: "M"},
	}}
	tests := []struct {
		name  string
		spec  Spec
		text  string
		ref   Reference
		want  string // JSON of the value; "" means no match
		match string // matched text, when checked
	}{
		{"number words", Spec{Type: Number}, "I need twenty five boxes", r, `25`, "twenty five"},
		{"number k", Spec{Type: Number}, "budget is 1.5k", r, `1500`, "1.5k"},
		{"number commas", Spec{Type: Number}, "about 45,000 people", r, `45000`, "45,000"},
		{"number digit words", Spec{Type: Number}, "code one two three", r, `123`, "one two three"},
		{"number hundred and", Spec{Type: Number}, "one hundred and five", r, `105`, ""},
		{"number year words", Spec{Type: Number}, "two thousand twenty", r, `2020`, ""},
		{"number negative", Spec{Type: Number}, "set it to -7", r, `-7`, "-7"},
		{"number dozen", Spec{Type: Number}, "a dozen eggs", r, `12`, "a dozen"},
		{"number none", Spec{Type: Number}, "no numbers here", r, ``, ""},
		{"currency symbol", Spec{Type: Currency}, "it costs $45,000", r, `{"amount":45000,"code":"USD"}`, "$45,000"},
		{"currency k dollars", Spec{Type: Currency}, "45k dollars", r, `{"amount":45000,"code":"USD"}`, "45k dollars"},
		{"currency code before", Spec{Type: Currency}, "send EUR 20 now", r, `{"amount":20,"code":"EUR"}`, "EUR 20"},
		{"currency name after", Spec{Type: Currency}, "20 euros please", r, `{"amount":20,"code":"EUR"}`, "20 euros"},
		{"currency words", Spec{Type: Currency}, "twenty pounds", r, `{"amount":20,"code":"GBP"}`, ""},
		{"currency pound sign", Spec{Type: Currency}, "£5.50", r, `{"amount":5.5,"code":"GBP"}`, ""},
		{"currency rs", Spec{Type: Currency}, "Rs. 500 only", r, `{"amount":500,"code":"INR"}`, "Rs. 500"},
		{"currency phrase", Spec{Type: Currency}, "5 canadian dollars", r, `{"amount":5,"code":"CAD"}`, ""},
		{"currency none", Spec{Type: Currency}, "I have 20 apples", r, ``, ""},
		{"percent sign", Spec{Type: Percentage}, "grew 12.5%", r, `0.125`, "12.5%"},
		{"percent words", Spec{Type: Percentage}, "sixty per cent", r, `0.6`, ""},
		{"quantity volume", Spec{Type: Quantity}, "add 500 ml of water", r, `{"amount":500,"source":"500 ml","type":"volume","unit":"millilitre"}`, "500 ml"},
		{"quantity attached", Spec{Type: Quantity}, "5.5kg", r, `{"amount":5.5,"source":"5.5kg","type":"weight","unit":"kilogram"}`, ""},
		{"quantity words", Spec{Type: Quantity}, "three miles away", r, `{"amount":3,"source":"three miles","type":"length","unit":"mile"}`, ""},
		{"quantity type filter", Spec{Type: Quantity, UnitType: "weight"}, "5 pounds", r, `{"amount":5,"source":"5 pounds","type":"weight","unit":"pound"}`, ""},
		{"quantity default unit", Spec{Type: Quantity, UnitType: "length", DefaultUnit: "metre"}, "12", r, `{"amount":12,"source":"12","type":"length","unit":"metre"}`, ""},
		{"date tomorrow", Spec{Type: Date}, "book it for tomorrow", r, `"2025-03-06"`, "tomorrow"},
		{"date next friday", Spec{Type: Date}, "next friday works", r, `"2025-03-07"`, "next friday"},
		{"date next wednesday", Spec{Type: Date}, "next wednesday", r, `"2025-03-12"`, ""},
		{"date on wednesday is today", Spec{Type: Date}, "on Wednesday", r, `"2025-03-05"`, ""},
		{"date last monday", Spec{Type: Date}, "last monday", r, `"2025-03-03"`, ""},
		{"date in 3 days", Spec{Type: Date}, "in 3 days", r, `"2025-03-08"`, ""},
		{"date weeks ago", Spec{Type: Date}, "two weeks ago", r, `"2025-02-19"`, ""},
		{"date passed month day rolls over", Spec{Type: Date}, "March 3", r, `"2026-03-03"`, ""},
		{"date day of month year", Spec{Type: Date}, "the 3rd of April 2024", r, `"2024-04-03"`, ""},
		{"date iso", Spec{Type: Date}, "due 2025-12-25.", r, `"2025-12-25"`, "2025-12-25"},
		{"date us slashes", Spec{Type: Date}, "12/25/2025", r, `"2025-12-25"`, ""},
		{"date gb slashes", Spec{Type: Date}, "25/12/2025", gb, `"2025-12-25"`, ""},
		{"date dots", Spec{Type: Date}, "25.12.2025", r, `"2025-12-25"`, ""},
		{"date ordinal only", Spec{Type: Date}, "on the 10th", r, `"2025-03-10"`, ""},
		{"date invalid", Spec{Type: Date}, "February 30 2025", r, ``, ""},
		{"period from to day", Spec{Type: DatePeriod}, "from March 10 to 15", r, `{"fromDate":"2025-03-10","toDate":"2025-03-15"}`, "from March 10 to 15"},
		{"period between", Spec{Type: DatePeriod}, "between 3/10 and 3/12", r, `{"fromDate":"2025-03-10","toDate":"2025-03-12"}`, ""},
		{"period next week", Spec{Type: DatePeriod}, "sometime next week", r, `{"fromDate":"2025-03-10","toDate":"2025-03-16"}`, "next week"},
		{"period this weekend", Spec{Type: DatePeriod}, "this weekend", r, `{"fromDate":"2025-03-08","toDate":"2025-03-09"}`, ""},
		{"period last days", Spec{Type: DatePeriod}, "in the last 3 days", r, `{"fromDate":"2025-03-02","toDate":"2025-03-04"}`, ""},
		{"period month", Spec{Type: DatePeriod}, "in April", r, `{"fromDate":"2025-04-01","toDate":"2025-04-30"}`, ""},
		{"period modal may is not a month", Spec{Type: DatePeriod}, "may I help", r, ``, ""},
		{"time pm", Spec{Type: Time}, "at 6pm", r, `"T18:00:00+05:30"`, "6pm"},
		{"time am minutes", Spec{Type: Time}, "6:30 a.m.", r, `"T06:30:00+05:30"`, ""},
		{"time noon", Spec{Type: Time}, "lunch at noon", r, `"T12:00:00+05:30"`, ""},
		{"time half past evening", Spec{Type: Time}, "half past seven in the evening", r, `"T19:30:00+05:30"`, ""},
		{"time 24h", Spec{Type: Time}, "18:45", r, `"T18:45:00+05:30"`, ""},
		{"time relative", Spec{Type: Time}, "in 2 hours", r, `"T12:00:00+05:30"`, ""},
		{"datetime", Spec{Type: DateTime}, "tomorrow at 6pm", r, `"2025-03-06T18:00:00+05:30"`, "tomorrow at 6pm"},
		{"datetime relative", Spec{Type: DateTime}, "in 30 minutes", r, `"2025-03-05T10:30:00+05:30"`, ""},
		{"datetime needs a time", Spec{Type: DateTime}, "friday", r, ``, ""},
		{"email", Spec{Type: Email}, "mail john.doe+x@example.co.uk.", r, `"john.doe+x@example.co.uk"`, ""},
		{"url", Spec{Type: URL}, "see https://parley.dev/docs.", r, `"https://parley.dev/docs"`, ""},
		{"url www", Spec{Type: URL}, "go to www.example.com now", r, `"www.example.com"`, ""},
		{"url not email", Spec{Type: URL}, "a@b.com", r, ``, ""},
		{"phone intl", Spec{Type: Phone}, "call +1 650-253-0000", r, `"+16502530000"`, "+1 650-253-0000"},
		{"phone national", Spec{Type: Phone}, "my number is (650) 253-0000", r, `"+16502530000"`, ""},
		{"phone region", Spec{Type: Phone}, "ring 020 7946 0018", gb, `"+442079460018"`, ""},
		{"zip plus four", Spec{Type: Zip}, "ship to 94105-1234", r, `"94105-1234"`, ""},
		{"zip gb", Spec{Type: Zip}, "London SW1A 1AA", gb, `"SW1A 1AA"`, ""},
		{"zip not in longer number", Spec{Type: Zip}, "order 1234567", r, ``, ""},
		{"country", Spec{Type: Country}, "I live in Germany", r, `{"alpha2":"DE","alpha3":"DEU","localName":"Deutschland","numericalCode":"276","shortName":"Germany"}`, "Germany"},
		{"country alias caps", Spec{Type: Country}, "ship to the UK", r, `{"alpha2":"GB","alpha3":"GBR","localName":"United Kingdom","numericalCode":"826","shortName":"United Kingdom"}`, ""},
		{"country lowercase us is a pronoun", Spec{Type: Country}, "tell us more", r, ``, ""},
		{"city multiword alias", Spec{Type: City}, "flights to New York City", r, `"New York"`, "New York City"},
		{"city homonym by population", Spec{Type: City}, "weather in paris", r, `"Paris"`, ""},
		{"city short alias needs caps", Spec{Type: City}, "la la land", r, ``, ""},
		{"person cue", Spec{Type: PersonName}, "my name is John Smith", r, `"John Smith"`, ""},
		{"person im", Spec{Type: PersonName}, "I'm alice", r, `"alice"`, ""},
		{"person capitalised", Spec{Type: PersonName}, "please send it to Maria Lopez today", r, `"Maria Lopez"`, ""},
		{"list longest", list, "I want an extra large pizza", r, `"XL"`, "extra large"},
		{"list synonym", list, "make it big", r, `"L"`, "big"},
		{"list fuzzy", list, "a medum one", r, `"M"`, "medum"},
		{"list no fuzzy", Spec{Type: List, Values: list.Values, NoFuzzy: true}, "a medum one", r, ``, ""},
		{"regex group", Spec{Type: Regex, Regex: `(?i)order\s+#?(\d{4,})`}, "where is Order #12345", r, `"12345"`, "12345"},
		{"regex invalid", Spec{Type: Custom, Regex: `(`}, "anything", r, ``, ""},
		{"composite", Spec{Type: Composite, Components: map[string]Spec{"amount": {Type: Currency}, "when": {Type: Date}}},
			"pay $20 tomorrow", r, `{"amount":{"amount":20,"code":"USD"},"when":"2025-03-06"}`, "$20 tomorrow"},
		{"string", Spec{Type: String}, "  hello there  ", r, `"hello there"`, ""},
		{"unknown type", Spec{Type: "bogus"}, "x", r, ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Extract(tt.spec, tt.text, tt.ref)
			if tt.want == "" {
				if ok {
					t.Fatalf("Extract(%q) = %s from %q, want no match", tt.text, jsonOf(m.Value), m.Text)
				}
				return
			}
			if !ok {
				t.Fatalf("Extract(%q): no match, want %s", tt.text, tt.want)
			}
			if got := jsonOf(m.Value); got != tt.want {
				t.Errorf("value = %s, want %s", got, tt.want)
			}
			if m.Text != tt.text[m.Start:m.End] {
				t.Errorf("text %q does not match span [%d:%d]", m.Text, m.Start, m.End)
			}
			if tt.match != "" && m.Text != tt.match {
				t.Errorf("matched %q, want %q", m.Text, tt.match)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		spec Spec
		ok   bool
	}{
		{Spec{Type: Number}, true},
		{Spec{Type: Regex}, false},
		{Spec{Type: Regex, Regex: "("}, false},
		{Spec{Type: Regex, Regex: `\d+`}, true},
		{Spec{Type: List}, false},
		{Spec{Type: Composite}, false},
		{Spec{Type: Composite, Components: map[string]Spec{"d": {Type: Description}}}, false},
		{Spec{Type: Quantity, UnitType: "smell"}, false},
		{Spec{Type: Quantity, UnitType: "volume"}, true},
		{Spec{Type: "nope"}, false},
	}
	for _, tt := range tests {
		if err := tt.spec.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.spec, err, tt.ok)
		}
	}
}

func TestGazetteerLoads(t *testing.T) {
	g := geo()
	if len(g.countries) < 50 || len(g.cities) < 100 {
		t.Fatalf("gazetteer has %d countries and %d cities", len(g.countries), len(g.cities))
	}
	seen := map[string]bool{}
	for _, c := range g.countries {
		if len(c.Alpha2) != 2 || len(c.Alpha3) != 3 || len(c.NumericalCode) != 3 || seen[c.Alpha2] {
			t.Errorf("bad or duplicate country %+v", c)
		}
		seen[c.Alpha2] = true
	}
}
