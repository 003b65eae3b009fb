package nlucli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/parleyhq/parley/nlu"
)

// classifier is what the answer metrics need of a model: the resolver's
// verdict for one utterance.
type classifier interface {
	Classify(text string) nlu.Result
}

// Answers is what a bot's users see for a labelled test set, as shares of
// it: top-1 accuracy ignores the thresholds, these do not.
//
// A test sentence labelled with an intent is answered right when the
// resolver starts that intent (status definite or probable); one labelled
// "None" (or unlabelled) is answered right when the resolver starts
// nothing, or starts the intent named "None". A "did you mean" question
// (status ambiguous) is not an answer, whatever its candidates.
type Answers struct {
	// AnsweredAccuracy is the share of test sentences answered right:
	// accepted above the bot's thresholds with the right intent.
	AnsweredAccuracy float64 `json:"answered_accuracy"`
	// AnsweredWrong is the share of test sentences that started another
	// intent than their label's.
	AnsweredWrong float64 `json:"answered_wrong"`
	// Ambiguous is the share of test sentences answered with a "did you
	// mean" question.
	Ambiguous float64 `json:"in_scope_ambiguous"`
	// InScopeRejected is the share of test sentences labelled with an
	// intent that the resolver left unmatched (the default dialog), over
	// those sentences.
	InScopeRejected float64 `json:"in_scope_rejected"`
	// OOSRecall is the share of out-of-scope sentences left unmatched
	// (no match, or the "None" intent); only with out-of-scope sentences.
	OOSRecall *float64 `json:"oos_recall,omitempty"`
	// OverallAccuracy counts both sets: test sentences answered right and
	// out-of-scope sentences left unmatched, over all of them; only with
	// out-of-scope sentences.
	OverallAccuracy *float64 `json:"overall_accuracy,omitempty"`
}

// answeredRight reports whether r is the answer a sentence labelled gold
// should get.
func answeredRight(gold string, r nlu.Result) bool {
	if isNoIntent(gold) {
		return leftUnmatched(r)
	}
	return (r.Status == nlu.StatusDefinite || r.Status == nlu.StatusProbable) && r.Intent == gold
}

// leftUnmatched reports whether r starts no task: no match, or the winner
// is the "None" intent.
func leftUnmatched(r nlu.Result) bool {
	return r.Status == nlu.StatusNone || (r.Status != nlu.StatusAmbiguous && isNoIntent(r.Intent))
}

// scoreAnswers scores the resolver's verdicts: results[i] is the verdict
// for test[i], oosResults those for the out-of-scope sentences (nil when
// there are none).
func scoreAnswers(test []Example, results []nlu.Result, oosResults []nlu.Result) Answers {
	var a Answers
	right, wrong, ambiguous, rejected, labelled := 0, 0, 0, 0, 0
	for i, e := range test {
		r := results[i]
		if !isNoIntent(e.Intent) {
			labelled++
			if r.Status == nlu.StatusNone {
				rejected++
			}
		}
		switch {
		case answeredRight(e.Intent, r):
			right++
		case r.Status == nlu.StatusAmbiguous:
			ambiguous++
		case r.Status != nlu.StatusNone:
			wrong++
		}
	}
	a.AnsweredAccuracy = ratio(right, len(test))
	a.AnsweredWrong = ratio(wrong, len(test))
	a.Ambiguous = ratio(ambiguous, len(test))
	a.InScopeRejected = ratio(rejected, labelled)
	if oosResults != nil {
		unmatched := 0
		for _, r := range oosResults {
			if leftUnmatched(r) {
				unmatched++
			}
		}
		recall := ratio(unmatched, len(oosResults))
		overall := ratio(right+unmatched, len(test)+len(oosResults))
		a.OOSRecall, a.OverallAccuracy = &recall, &overall
	}
	return a
}

// classifyAll returns c's verdict for each example, or nil for no examples.
func classifyAll(c classifier, ex []Example) []nlu.Result {
	if len(ex) == 0 {
		return nil
	}
	out := make([]nlu.Result, len(ex))
	for i, e := range ex {
		out[i] = c.Classify(e.Text)
	}
	return out
}

// SweepRow is what the users would see with the ML threshold (Kore's
// minimum ML score) set to Minimum, the bot's other thresholds unchanged
// (the definite threshold is raised to Minimum when below it).
type SweepRow struct {
	Minimum float64 `json:"minimum"`
	Answers
}

// sweepMinimums are the ML thresholds a sweep tries.
var sweepMinimums = []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9}

// sweep scores the test and out-of-scope sentences at each ML threshold
// of sweepMinimums, without training again.
func sweep(m *nlu.Model, test, oos []Example) ([]SweepRow, error) {
	base := m.Thresholds()
	var rows []SweepRow
	for _, min := range sweepMinimums {
		t := base
		t.Minimum, t.Definite = min, max(base.Definite, min)
		mt, err := m.WithThresholds(t)
		if err != nil {
			return nil, fmt.Errorf("sweep at %v: %w", min, err)
		}
		rows = append(rows, SweepRow{Minimum: min, Answers: scoreAnswers(test, classifyAll(mt, test), classifyAll(mt, oos))})
	}
	return rows, nil
}

func printAnswers(w io.Writer, a Answers, test int) {
	fmt.Fprintf(w, "answered accuracy %.4f (%.0f/%d): wrong intent %.4f, did you mean %.4f; in-scope rejected %.4f\n",
		a.AnsweredAccuracy, a.AnsweredAccuracy*float64(test), test, a.AnsweredWrong, a.Ambiguous, a.InScopeRejected)
	if a.OOSRecall != nil {
		fmt.Fprintf(w, "out-of-scope recall %.4f; overall accuracy %.4f\n", *a.OOSRecall, *a.OverallAccuracy)
	}
}

func printSweep(w io.Writer, rows []SweepRow) {
	fmt.Fprintln(w, "ML threshold sweep (the bot's other thresholds unchanged):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "minimum\tanswered\twrong\tdid you mean\tin-scope rejected\toos recall\toverall\t")
	for _, r := range rows {
		oos, overall := "-", "-"
		if r.OOSRecall != nil {
			oos, overall = fmt.Sprintf("%.4f", *r.OOSRecall), fmt.Sprintf("%.4f", *r.OverallAccuracy)
		}
		fmt.Fprintf(tw, "%.2f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\t%s\t\n", r.Minimum, r.AnsweredAccuracy, r.AnsweredWrong, r.Ambiguous, r.InScopeRejected, oos, overall)
	}
	tw.Flush()
}
