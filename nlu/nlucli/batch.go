package nlucli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/nlu"
)

// batchCase is one row of a batch test.
type batchCase struct {
	Text string
	// Intents are the accepted intents ("A | B" in Kore's files); empty
	// or "None" means the utterance should match nothing.
	Intents  []string
	Entities []expectedEntity
}

type expectedEntity struct {
	Name  string `json:"entityName"`
	Value string `json:"entityValue"`
}

// koreSuite is Kore's batch-test JSON (reference §9).
type koreSuite struct {
	TestCases []struct {
		Input        string           `json:"input"`
		Intent       string           `json:"intent"`
		ParentIntent string           `json:"parentIntent"`
		Entities     []expectedEntity `json:"entities"`
	} `json:"testCases"`
}

// readBatch reads JSONL rows of {text, intent}, or a Kore test suite
// ({"testCases": [...]}, as exported by Kore's batch testing).
func readBatch(path string) ([]batchCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' && bytes.Contains(t, []byte(`"testCases"`)) {
		var s koreSuite
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, fmt.Errorf("%s: not a Kore test suite: %w", path, err)
		}
		out := make([]batchCase, 0, len(s.TestCases))
		for i, tc := range s.TestCases {
			if strings.TrimSpace(tc.Input) == "" {
				return nil, fmt.Errorf("%s: testCases[%d].input is empty", path, i)
			}
			out = append(out, batchCase{Text: tc.Input, Intents: koreIntents(tc.Intent), Entities: tc.Entities})
		}
		return out, nil
	}
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	out := make([]batchCase, len(rows))
	for i, r := range rows {
		out[i] = batchCase{Text: r.Text, Intents: koreIntents(r.Intent)}
	}
	return out, nil
}

// koreIntents reads Kore's intent cell: "A | B" accepts either, "P >> C"
// names a sub-intent C under P (the one that must win), "trait: X" is not
// an intent.
func koreIntents(cell string) []string {
	var out []string
	for _, alt := range strings.Split(cell, "|") {
		alt = strings.TrimSpace(alt)
		if i := strings.LastIndex(alt, ">>"); i >= 0 {
			alt = strings.TrimSpace(alt[i+2:])
		}
		if alt == "" || strings.HasPrefix(strings.ToLower(alt), "trait:") || isNoIntent(alt) {
			continue
		}
		out = append(out, alt)
	}
	return out
}

// batchOutcome classifies one row the way Kore's batch test does:
// TP when an expected intent wins, TN when an utterance expected to match
// nothing matches nothing, FN when an expected intent is not matched (no
// match, or only offered among ambiguous candidates — the user got a
// question, not the task), FP when an unexpected intent is matched or
// offered.
func batchOutcome(expected []string, r nlu.Result) string {
	want := map[string]bool{}
	for _, e := range expected {
		want[e] = true
	}
	none := len(want) == 0
	switch r.Status {
	case nlu.StatusNone:
		if none {
			return "TN"
		}
		return "FN"
	case nlu.StatusAmbiguous:
		if none {
			return "FP"
		}
		for _, c := range r.Candidates {
			if want[c] {
				return "FN"
			}
		}
		return "FP"
	default:
		if want[r.Intent] {
			return "TP"
		}
		if none && isNoIntent(r.Intent) {
			return "TN"
		}
		return "FP"
	}
}

// entityMatches compares an extracted value with the text a Kore test
// case expects: strings case-insensitively, numbers by value, objects by
// any of their fields ("USD" or "500" of a currency, "IN" of a country) or
// by "<amount> <code>" in either order.
func entityMatches(v any, want string) bool {
	want = strings.TrimSpace(want)
	switch x := v.(type) {
	case string:
		return strings.EqualFold(strings.TrimSpace(x), want)
	case float64:
		w, err := strconv.ParseFloat(strings.ReplaceAll(want, ",", ""), 64)
		return err == nil && w == x
	case map[string]any:
		// A currency: "500", "USD 500" or "500 usd".
		if code, ok := x["code"].(string); ok && code != "" {
			if amount, ok := x["amount"].(float64); ok {
				w := strings.ToUpper(want)
				w = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(w, code), code))
				if entityMatches(amount, w) {
					return true
				}
			}
		}
		for _, f := range x {
			if entityMatches(f, want) {
				return true
			}
		}
	}
	return false
}
