package nlucli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/parleyhq/parley/nlu"
)

// Example is one labelled utterance of a JSONL file.
type Example struct {
	Text   string `json:"text"`
	Intent string `json:"intent"`
}

// readJSONL reads one {"text","intent"} object per line; blank lines are
// skipped and errors name the line.
func readJSONL(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var out []Example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(trimSpace(b)) == 0 {
			continue
		}
		var e Example
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// trainingData groups examples by intent, in first-seen order.
func trainingData(ex []Example) nlu.TrainingData {
	var td nlu.TrainingData
	pos := map[string]int{}
	for _, e := range ex {
		i, ok := pos[e.Intent]
		if !ok {
			i = len(td.Intents)
			pos[e.Intent] = i
			td.Intents = append(td.Intents, nlu.IntentData{Name: e.Intent})
		}
		td.Intents[i].Utterances = append(td.Intents[i].Utterances, e.Text)
	}
	return td
}

// isNoIntent reports whether a gold label means "no intent" (Kore batch
// tests use "None"; an empty label means the same).
func isNoIntent(s string) bool { return s == "" || s == "None" || s == "none" }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
