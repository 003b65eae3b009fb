package nlucli

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/nlu/entity"
)

var trainRows = []Example{
	{"book a flight to paris", "Flight"}, {"i want to fly to london", "Flight"}, {"reserve a plane ticket", "Flight"},
	{"find me a cheap flight", "Flight"}, {"get me on a flight tomorrow", "Flight"},
	{"what's the weather like", "Weather"}, {"will it rain tomorrow", "Weather"}, {"weather forecast for paris", "Weather"},
	{"is it going to be sunny", "Weather"}, {"how cold is it outside", "Weather"},
}

func writeJSONL(t *testing.T, rows []Example) string {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "data.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func fakeLoader(dir string) (nlu.TrainingData, error) {
	if dir != "bot" {
		return nlu.TrainingData{}, errors.New("no such bot")
	}
	td := trainingData(trainRows)
	td.Entities = map[string]entity.Spec{"when": {Type: entity.Date}, "city": {Type: entity.City}}
	return td, nil
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb, fakeLoader)
	return code, out.String(), errb.String()
}

func TestEvalJSON(t *testing.T) {
	train := writeJSONL(t, trainRows)
	test := writeJSONL(t, []Example{{"book me a flight", "Flight"}, {"is it raining", "Weather"}, {"a cheap plane to rome", "Flight"}})
	oos := writeJSONL(t, []Example{{"recommend a novel by tolkien", ""}, {"zzzz qqqq", ""}})
	code, out, stderr := run("eval", "--train", train, "--test", test, "--oos", oos, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"accuracy", "macro_f1", "train_seconds", "classify_per_second", "oos_recall", "per_intent"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if rep["accuracy"].(float64) != 1 {
		t.Errorf("accuracy = %v on an easy test set", rep["accuracy"])
	}
	if rep["oos_recall"].(float64) != 1 {
		t.Errorf("oos_recall = %v for two unrelated utterances", rep["oos_recall"])
	}
	if rep["classify_per_second"].(float64) <= 0 {
		t.Error("no classification speed")
	}
	cal, _ := rep["calibration"].(map[string]any)
	if mean, _ := cal["mean_confidence"].(float64); mean <= 0 || mean > 1 {
		t.Errorf("calibration = %v: want a mean top confidence in (0, 1] for three right answers", rep["calibration"])
	}
}

func TestEvalText(t *testing.T) {
	train := writeJSONL(t, trainRows)
	test := writeJSONL(t, []Example{{"book me a flight", "Flight"}, {"book a flight", "Weather"}})
	code, out, _ := run("eval", "--train", train, "--test", test)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"accuracy 0.5000 (1/2)", "Weather → Flight", "precision"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		nil,
		{"frobnicate"},
		{"eval"},
		{"eval", "--bogus"},
		{"test", "--bot", "bot"},
		{"parse", "--bot", "bot"},
		{"cv", "--train", "x", "--folds", "1"},
	}
	for _, args := range tests {
		if code, _, _ := run(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, stderr := run("eval", "--train", "/nonexistent", "--test", "/nonexistent"); code != exitError || !strings.Contains(stderr, "nonexistent") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	if code, _, _ := run("test", "--bot", "other", "--utterances", "x"); code != exitError {
		t.Errorf("loader error: exit %d", code)
	}
}

func TestBatchTest(t *testing.T) {
	utts := writeJSONL(t, []Example{
		{"book a flight to rome", "Flight"},      // TP
		{"book a flight to rome", "Weather"},     // same utterance as the row above: merged
		{"will it rain later", "Weather"},        // TP
		{"book a flight please", "Weather"},      // FP: matched Flight
		{"recommend a novel by tolkien", "None"}, // TN
		{"qqq zzz", "Flight"},                    // FN: no match
	})
	code, out, stderr := run("test", "--bot", "bot", "--utterances", utts, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep BatchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total != 5 || rep.TP != 2 || rep.FP != 1 || rep.TN != 1 || rep.FN != 1 {
		t.Fatalf("counts %+v", rep)
	}
	if rep.Precision != 2.0/3 || rep.Recall != 2.0/3 {
		t.Errorf("precision %v recall %v", rep.Precision, rep.Recall)
	}
}

func TestBatchOutcome(t *testing.T) {
	tests := []struct {
		expected string
		r        nlu.Result
		want     string
	}{
		{"A", nlu.Result{Status: nlu.StatusDefinite, Intent: "A"}, "TP"},
		{"A", nlu.Result{Status: nlu.StatusProbable, Intent: "B"}, "FP"},
		{"A", nlu.Result{Status: nlu.StatusNone}, "FN"},
		{"A", nlu.Result{Status: nlu.StatusAmbiguous, Candidates: []string{"A", "B"}}, "FN"},
		{"A", nlu.Result{Status: nlu.StatusAmbiguous, Candidates: []string{"B", "C"}}, "FP"},
		{"None", nlu.Result{Status: nlu.StatusNone}, "TN"},
		{"", nlu.Result{Status: nlu.StatusProbable, Intent: "None"}, "TN"},
		{"", nlu.Result{Status: nlu.StatusProbable, Intent: "B"}, "FP"},
		{"None", nlu.Result{Status: nlu.StatusAmbiguous, Candidates: []string{"B", "C"}}, "FP"},
		{"A | B", nlu.Result{Status: nlu.StatusProbable, Intent: "B"}, "TP"},       // alternatives
		{"Parent >> A", nlu.Result{Status: nlu.StatusDefinite, Intent: "A"}, "TP"}, // a sub-intent
		{"trait: x", nlu.Result{Status: nlu.StatusNone}, "TN"},                     // a trait is no intent
	}
	for _, tt := range tests {
		if got := batchOutcome(koreIntents(tt.expected), tt.r); got != tt.want {
			t.Errorf("batchOutcome(%q, %+v) = %s, want %s", tt.expected, tt.r, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	code, out, stderr := run("parse", "--bot", "bot", "--now", "2025-03-05T10:00:00Z", "--json", "book a flight to London tomorrow")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep ParseReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result.Top() != "Flight" || rep.Result.Ranked[0].Engine == "" {
		t.Errorf("result %+v", rep.Result)
	}
	got := map[string]any{}
	for _, e := range rep.Entities {
		got[e.Name] = e.Value
	}
	if got["when"] != "2025-03-06" || got["city"] != "London" {
		t.Errorf("entities %+v", rep.Entities)
	}
	code, out, _ = run("parse", "--bot", "bot", "will", "it", "rain")
	if code != 0 || !strings.Contains(out, "Weather") || !strings.Contains(out, "engine") {
		t.Errorf("text output: %d %s", code, out)
	}
}

func TestCrossValidate(t *testing.T) {
	o := nlu.DefaultOptions()
	o.Calibrate = false
	acc, err := crossValidate(trainRows, 5, o)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.6 || acc > 1 {
		t.Errorf("cv accuracy %v on a separable toy corpus", acc)
	}
}

func TestScoreLabels(t *testing.T) {
	per, macro, conf := scoreLabels([]string{"a", "a", "b", "b"}, []string{"a", "b", "b", "b"})
	if per["a"].Precision != 1 || per["a"].Recall != 0.5 || per["b"].Precision != 2.0/3 || per["b"].Support != 2 {
		t.Errorf("per-label %+v", per)
	}
	wantMacro := (2.0/3 + 0.8) / 2
	if macro < wantMacro-1e-9 || macro > wantMacro+1e-9 {
		t.Errorf("macro %v, want %v", macro, wantMacro)
	}
	if len(conf) != 1 || conf[0] != (Confusion{Gold: "a", Predicted: "b", Count: 1}) {
		t.Errorf("confusions %+v", conf)
	}
}

func TestScoreCalibration(t *testing.T) {
	tests := []struct {
		name           string
		conf           []float64
		right          []bool
		mean, ece, bri float64
	}{
		{"perfect", []float64{1, 1, 0, 0}, []bool{true, true, false, false}, 0.5, 0, 0},
		// One bin at 0.8 holding 3 right of 4: |0.75 − 0.8| = 0.05.
		{"one bin", []float64{0.8, 0.8, 0.8, 0.8}, []bool{true, true, true, false}, 0.8, 0.05, (3*0.04 + 0.64) / 4},
		// Under-confident: 0.25 everywhere and always right.
		{"under-confident", []float64{0.25, 0.25}, []bool{true, true}, 0.25, 0.75, 0.5625},
		// Two bins, each half the data: |1 − 0.95| and |0 − 0.15|.
		{"two bins", []float64{0.95, 0.95, 0.15, 0.15}, []bool{true, true, false, false}, 0.55, (0.05 + 0.15) / 2, (2*0.0025 + 2*0.0225) / 4},
		{"empty", nil, nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scoreCalibration(tt.conf, tt.right)
			for _, x := range []struct {
				name      string
				got, want float64
			}{{"mean", c.MeanConfidence, tt.mean}, {"ECE", c.ExpectedError, tt.ece}, {"Brier", c.Brier, tt.bri}} {
				if math.Abs(x.got-x.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", x.name, x.got, x.want)
				}
			}
		})
	}
}

// The few-shot mode trains on n sentences per intent and scores the rest:
// with one sentence per intent the toy corpus scores 8 held-out sentences,
// and the count printed must say so.
func TestFewShotCrossValidation(t *testing.T) {
	o := nlu.DefaultOptions()
	o.Calibrate = false
	acc, scored, err := fewShot(trainRows, 2, o, 7)
	if err != nil {
		t.Fatal(err)
	}
	if scored != 6 {
		t.Errorf("2-shot on 2 intents × 5 scored %d sentences, want 6", scored)
	}
	if acc < 0.5 || acc > 1 {
		t.Errorf("2-shot accuracy %v on a separable toy corpus", acc)
	}
	p := writeJSONL(t, trainRows)
	code, out, errb := run("cv", "--train", p, "--per-intent", "1", "--repeats", "2", "--vec-share", "0")
	if code != 0 || !strings.Contains(out, "/8)") {
		t.Errorf("cv --per-intent 1: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	if code, _, _ := run("cv", "--train", p, "--vectors", filepath.Join(t.TempDir(), "missing.vec.gz")); code == 0 {
		t.Error("a missing vector file was accepted")
	}
}

// A Kore batch-test suite: intents with alternatives, and entities checked
// by value (Kore's Entity Success %).
func TestKoreBatchSuite(t *testing.T) {
	suite := `{"testCases": [
	  {"input": "book a flight to rome", "intent": "Flight | Weather", "entities": [{"entityName": "city", "entityValue": "Rome"}]},
	  {"input": "will it rain in paris", "intent": "Weather", "entities": [{"entityName": "city", "entityValue": "London"}]},
	  {"input": "recommend a novel by tolkien", "intent": "None"}
	]}`
	p := filepath.Join(t.TempDir(), "suite.json")
	if err := os.WriteFile(p, []byte(suite), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run("test", "--bot", "bot", "--utterances", p, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep BatchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total != 3 || rep.TP != 2 || rep.TN != 1 || rep.IntentSuccess != 1 {
		t.Fatalf("intent counts %+v", rep)
	}
	if rep.EntityCases != 2 || rep.EntitySuccess == nil || *rep.EntitySuccess != 0.5 {
		t.Fatalf("entity success %v of %d, want 0.5 of 2 (%v)", rep.EntitySuccess, rep.EntityCases, rep.Failures)
	}
	if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0], `city expected "London"`) {
		t.Errorf("failures %q", rep.Failures)
	}
}

func TestEntityMatches(t *testing.T) {
	currency := map[string]any{"code": "USD", "amount": 500.0}
	tests := []struct {
		v    any
		want string
		ok   bool
	}{
		{"Rome", "rome", true}, {"Rome", "Paris", false},
		{25.0, "25", true}, {25.0, "1,000", false}, {1000.0, "1,000", true},
		{currency, "500", true}, {currency, "USD 500", true}, {currency, "500 usd", true}, {currency, "EUR 500", false},
		{map[string]any{"alpha2": "IN", "shortName": "India"}, "india", true},
	}
	for _, tt := range tests {
		if got := entityMatches(tt.v, tt.want); got != tt.ok {
			t.Errorf("entityMatches(%v, %q) = %v, want %v", tt.v, tt.want, got, tt.ok)
		}
	}
}
