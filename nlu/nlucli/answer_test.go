package nlucli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/parleyhq/parley/nlu"
)

// fixedModel is a hand-made model: it answers each utterance with the
// verdict written for it, so the metric definitions are checked apart
// from any training.
type fixedModel map[string]nlu.Result

func (f fixedModel) Classify(text string) nlu.Result { return f[text] }

func verdict(status nlu.Status, intent string, ranked ...string) nlu.Result {
	r := nlu.Result{Status: status, Intent: intent}
	if status == nlu.StatusAmbiguous {
		r.Intent, r.Candidates = "", ranked
	}
	for i, name := range ranked {
		r.Ranked = append(r.Ranked, nlu.Match{Intent: name, Score: 0.9 - 0.1*float64(i), Engine: nlu.EngineML})
	}
	return r
}

func TestAnswerMetricDefinitions(t *testing.T) {
	model := fixedModel{
		"a": verdict(nlu.StatusDefinite, "Flight", "Flight"),
		"b": verdict(nlu.StatusProbable, "Flight", "Flight", "Weather"),
		"c": verdict(nlu.StatusProbable, "Weather", "Weather", "Flight"),
		"d": verdict(nlu.StatusAmbiguous, "", "Weather", "Flight"),
		"e": verdict(nlu.StatusNone, "", "Weather"), // top-1 right, but the user hears "I did not understand"
		"f": verdict(nlu.StatusNone, "", "Flight"),
		"g": verdict(nlu.StatusProbable, "None", "None"),
		"h": verdict(nlu.StatusProbable, "Flight", "Flight"),
		"x": verdict(nlu.StatusNone, "", "Flight"),
		"y": verdict(nlu.StatusProbable, "Flight", "Flight"),
		"z": verdict(nlu.StatusAmbiguous, "", "Flight", "None"),
		"w": verdict(nlu.StatusProbable, "None", "None"),
	}
	test := []Example{
		{"a", "Flight"},  // answered right (definite)
		{"b", "Flight"},  // answered right (probable)
		{"c", "Flight"},  // wrong intent
		{"d", "Weather"}, // "did you mean": not an answer, though Weather is offered
		{"e", "Weather"}, // rejected
		{"f", "None"},    // right: nothing started
		{"g", "None"},    // right: the None intent won
		{"h", "None"},    // wrong: started Flight
	}
	oos := []Example{{"x", ""}, {"y", ""}, {"z", ""}, {"w", ""}}

	got := scoreAnswers(test, classifyAll(model, test), classifyAll(model, oos))
	want := map[string]float64{
		"answered_accuracy":  4.0 / 8,
		"answered_wrong":     2.0 / 8,
		"in_scope_ambiguous": 1.0 / 8,
		"in_scope_rejected":  1.0 / 5, // over the five sentences labelled with an intent
		"oos_recall":         2.0 / 4, // x (no match) and w (None); not y, nor the question z
		"overall_accuracy":   (4.0 + 2) / (8 + 4),
	}
	checkAnswers(t, got, want)

	noOOS := scoreAnswers(test, classifyAll(model, test), classifyAll(model, nil))
	if noOOS.OOSRecall != nil || noOOS.OverallAccuracy != nil {
		t.Errorf("without out-of-scope sentences: oos_recall %v, overall %v, want neither", noOOS.OOSRecall, noOOS.OverallAccuracy)
	}
	if noOOS.AnsweredAccuracy != got.AnsweredAccuracy || noOOS.InScopeRejected != got.InScopeRejected {
		t.Errorf("in-scope figures depend on the out-of-scope set: %+v vs %+v", noOOS, got)
	}
}

func checkAnswers(t *testing.T, a Answers, want map[string]float64) {
	t.Helper()
	b, _ := json.Marshal(a)
	var got map[string]float64
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > 1e-12 {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
}

// TestEvalAnsweredAndSweep runs eval on a trained toy bot: a sentence of
// words the bot never saw is top-ranked somewhere but answered nowhere,
// and the sweep's row at the bot's own ML threshold repeats the report.
func TestEvalAnsweredAndSweep(t *testing.T) {
	train := writeJSONL(t, trainRows)
	test := writeJSONL(t, []Example{{"book me a flight", "Flight"}, {"will it rain in paris", "Weather"}, {"qqqq zzzz", "Flight"}})
	oos := writeJSONL(t, []Example{{"recommend a novel by tolkien", ""}, {"xxxx yyyy", ""}})
	code, out, stderr := run("eval", "--train", train, "--test", test, "--oos", oos, "--sweep", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep EvalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	checkAnswers(t, rep.Answers, map[string]float64{
		"answered_accuracy": 2.0 / 3, "in_scope_rejected": 1.0 / 3, "oos_recall": 1, "overall_accuracy": 4.0 / 5,
	})
	if len(rep.Sweep) != len(sweepMinimums) {
		t.Fatalf("sweep has %d rows, want %d", len(rep.Sweep), len(sweepMinimums))
	}
	own := rep.Sweep[0]
	for i, row := range rep.Sweep {
		if row.Minimum == nlu.DefaultMinimum {
			own = row
		}
		if i > 0 && row.InScopeRejected < rep.Sweep[i-1].InScopeRejected {
			t.Errorf("in-scope rejection fell from %v to %v as the ML threshold rose to %v", rep.Sweep[i-1].InScopeRejected, row.InScopeRejected, row.Minimum)
		}
	}
	if own.Minimum != nlu.DefaultMinimum || own.AnsweredAccuracy != rep.AnsweredAccuracy || *own.OOSRecall != *rep.OOSRecall {
		t.Errorf("sweep row at the default threshold %+v differs from the report %+v", own, rep.Answers)
	}

	code, text, _ := run("eval", "--train", train, "--test", test, "--oos", oos, "--sweep")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"answered accuracy 0.6667 (2/3)", "in-scope rejected 0.3333", "out-of-scope recall 1.0000; overall accuracy 0.8000", "ML threshold sweep", "0.30"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
}

// TestSweepMovesTheThreshold checks that each sweep row resolves at its own
// ML threshold: a sentence whose top ML score lies inside the grid is
// answered below that score and rejected above it.
func TestSweepMovesTheThreshold(t *testing.T) {
	m, err := nlu.Train(trainingData(trainRows))
	if err != nil {
		t.Fatal(err)
	}
	var pick Example
	var score float64
	for _, text := range []string{"flight", "a cheap one tomorrow", "paris tomorrow", "is it cheap outside", "fly sunny", "plane weather", "book qqqq zzzz wwww"} {
		r := m.Classify(text)
		if len(r.Ranked) == 0 || r.Ranked[0].Engine != nlu.EngineML {
			continue
		}
		if s := r.Ranked[0].Score; s > 0.06 && s < 0.85 {
			pick, score = Example{Text: text, Intent: r.Ranked[0].Intent}, s
			break
		}
	}
	if pick.Text == "" {
		t.Skip("no candidate sentence with a top ML score inside the grid")
	}
	rows, err := sweep(m, []Example{pick}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		rejected := row.InScopeRejected == 1
		if row.Minimum > score+1e-9 && !rejected {
			t.Errorf("%q (score %.3f) not rejected at ML threshold %v", pick.Text, score, row.Minimum)
		}
		if row.Minimum < score-0.02 && rejected {
			t.Errorf("%q (score %.3f) rejected at ML threshold %v", pick.Text, score, row.Minimum)
		}
	}
}
