// Package nlucli is the `parley nlu` command: offline evaluation on labelled
// corpora (eval, cv), Kore-style batch testing of a bot (test) and utterance
// testing (parse).
//
// eval reports accuracy on the top-ranked intent regardless of thresholds,
// because that is how the published intent-classification scores are
// computed, and beside it what a user sees: the share of test sentences
// the resolver answers with the right intent above the bot's thresholds
// (answered accuracy), and, with out-of-scope sentences (--oos), how many
// of those it leaves unmatched and the accuracy over both sets. --sweep
// shows how these move with the ML threshold.
package nlucli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/nlu/embed"
	"github.com/parleyhq/parley/nlu/entity"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `usage: parley nlu <command> [flags]

commands:
  eval  --train TRAIN.jsonl --test TEST.jsonl [--oos OOS.jsonl] [--sweep] [--json]
        train on TRAIN, report top-1 and answered accuracy, macro-F1,
        per-intent scores, confusions, training time and classification
        speed; --oos adds out-of-scope recall and overall accuracy,
        --sweep the same figures at each ML threshold
  cv    --train TRAIN.jsonl [--val VAL.jsonl] [--folds 5] [hyperparameters]
        stratified cross-validation accuracy of a hyperparameter set
  test  --bot DIR --utterances FILE.jsonl [--json]
        Kore-style batch test: TP, FP, FN, TN, precision, recall, F1
  parse --bot DIR [--now RFC3339] [--tz ZONE] [--json] "utterance"
        ranked intents with engines and scores, and the entities found
`

// Run executes the nlu command line. args excludes the leading "nlu";
// loadBot loads a bot's training data from a bot-definition directory.
// It returns the process exit code.
func Run(args []string, stdout, stderr io.Writer, loadBot func(dir string) (nlu.TrainingData, error)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "eval":
		err = runEval(args[1:], stdout, stderr)
	case "cv":
		err = runCV(args[1:], stdout, stderr)
	case "test":
		err = runTest(args[1:], stdout, stderr, loadBot)
	case "parse":
		err = runParse(args[1:], stdout, stderr, loadBot)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "nlu: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "nlu %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "nlu %s: %v\n", args[0], err)
		return exitError
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("nlu "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// EvalReport is the output of eval; --json prints it as is.
type EvalReport struct {
	Train             int                    `json:"train"`
	Test              int                    `json:"test"`
	Correct           int                    `json:"correct"`
	Accuracy          float64                `json:"accuracy"`
	MacroF1           float64                `json:"macro_f1"`
	TrainSeconds      float64                `json:"train_seconds"`
	ClassifyPerSecond float64                `json:"classify_per_second"`
	OOS               int                    `json:"oos,omitempty"`
	Answers                                  // what users see, with the bot's thresholds
	PerIntent         map[string]IntentScore `json:"per_intent"`
	Confusions        []Confusion            `json:"confusions"`
	Calibration       Calibration            `json:"calibration"`
	Sweep             []SweepRow             `json:"sweep,omitempty"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	trainPath := fs.String("train", "", "training JSONL file (required)")
	testPath := fs.String("test", "", "test JSONL file (required)")
	oosPath := fs.String("oos", "", "out-of-scope JSONL file: utterances that should match no intent")
	asJSON := fs.Bool("json", false, "print one JSON object")
	withSweep := fs.Bool("sweep", false, "also score every ML threshold of a grid")
	o := optionFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *trainPath == "" || *testPath == "" {
		return usageError{"--train and --test are required"}
	}
	train, err := readJSONL(*trainPath)
	if err != nil {
		return err
	}
	test, err := readJSONL(*testPath)
	if err != nil {
		return err
	}
	var oos []Example
	if *oosPath != "" {
		if oos, err = readJSONL(*oosPath); err != nil {
			return err
		}
	}
	rep, err := evaluate(train, test, oos, *o, *withSweep)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printEval(stdout, rep)
	return nil
}

// evaluate trains on train and scores test (and oos), at every ML
// threshold of the sweep too when withSweep is set. Classification speed
// is measured on one goroutine over the test set, repeated until at least
// half a second has elapsed so small corpora still give a stable figure.
func evaluate(train, test, oos []Example, o nlu.Options, withSweep bool) (EvalReport, error) {
	rep := EvalReport{Train: len(train), Test: len(test), OOS: len(oos)}
	if len(test) == 0 {
		return rep, errors.New("the test file has no examples")
	}
	start := time.Now()
	m, err := nlu.TrainOptions(trainingData(train), o)
	if err != nil {
		return rep, fmt.Errorf("train: %w", err)
	}
	rep.TrainSeconds = time.Since(start).Seconds()

	start = time.Now()
	results := classifyAll(m, test)
	n, elapsed := len(test), time.Since(start)
	for elapsed < 500*time.Millisecond {
		for _, e := range test {
			m.Classify(e.Text)
		}
		n += len(test)
		elapsed = time.Since(start)
	}
	rep.ClassifyPerSecond = float64(n) / elapsed.Seconds()

	gold := make([]string, len(test))
	pred := make([]string, len(test))
	conf := make([]float64, len(test))
	right := make([]bool, len(test))
	for i, e := range test {
		r := results[i]
		gold[i], pred[i] = e.Intent, r.Top()
		if pred[i] == e.Intent {
			rep.Correct++
		}
		if len(r.Ranked) > 0 {
			conf[i], right[i] = r.Ranked[0].Score, pred[i] == e.Intent
		}
	}
	rep.Accuracy = float64(rep.Correct) / float64(len(test))
	rep.PerIntent, rep.MacroF1, rep.Confusions = scoreLabels(gold, pred)
	rep.Calibration = scoreCalibration(conf, right)
	if len(rep.Confusions) > 10 {
		rep.Confusions = rep.Confusions[:10]
	}
	rep.Answers = scoreAnswers(test, results, classifyAll(m, oos))
	if withSweep {
		if rep.Sweep, err = sweep(m, test, oos); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func printEval(w io.Writer, r EvalReport) {
	fmt.Fprintf(w, "train %d, test %d\n", r.Train, r.Test)
	fmt.Fprintf(w, "accuracy %.4f (%d/%d)  macro-F1 %.4f\n", r.Accuracy, r.Correct, r.Test, r.MacroF1)
	fmt.Fprintf(w, "training %.3f s  classification %.0f/s (one thread)\n", r.TrainSeconds, r.ClassifyPerSecond)
	fmt.Fprintf(w, "top confidence: mean %.4f, expected calibration error %.4f, Brier %.4f\n",
		r.Calibration.MeanConfidence, r.Calibration.ExpectedError, r.Calibration.Brier)
	printAnswers(w, r.Answers, r.Test)
	if r.OOSRecall != nil {
		fmt.Fprintf(w, "out-of-scope sentences: %d\n", r.OOS)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "intent\tprecision\trecall\tF1\tsupport\t")
	for _, k := range sortedKeys(r.PerIntent) {
		s := r.PerIntent[k]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", k, s.Precision, s.Recall, s.F1, s.Support)
	}
	tw.Flush()
	if len(r.Confusions) > 0 {
		fmt.Fprintln(w, "most confused (gold → predicted):")
		for _, c := range r.Confusions {
			fmt.Fprintf(w, "  %3d  %s → %s\n", c.Count, c.Gold, c.Predicted)
		}
	}
	if len(r.Sweep) > 0 {
		printSweep(w, r.Sweep)
	}
}

func runCV(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cv", stderr)
	trainPath := fs.String("train", "", "training JSONL file (required)")
	valPath := fs.String("val", "", "validation JSONL file, pooled with train")
	folds := fs.Int("folds", 5, "number of stratified folds")
	o := optionFlags(fs)
	vecPath := fs.String("vectors", "", "word-vector file (default: the built-in table)")
	showErrors := fs.Bool("errors", false, "list the misclassified examples")
	repeats := fs.Int("repeats", 1, "repeat k-fold with different fold assignments")
	perIntent := fs.Int("per-intent", 0, "few-shot mode: train on this many sampled utterances per intent, score on all the others (instead of k-fold)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Accuracy does not depend on the calibration, except through the
	// ensemble, which averages calibrated probabilities.
	o.Calibrate = o.NBWeight > 0 || o.LRWeight > 0
	if *trainPath == "" {
		return usageError{"--train is required"}
	}
	if *vecPath != "" {
		f, err := os.Open(*vecPath)
		if err != nil {
			return err
		}
		o.Vectors, err = embed.Read(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if *folds < 2 {
		return usageError{"--folds must be at least 2"}
	}
	ex, err := readJSONL(*trainPath)
	if err != nil {
		return err
	}
	if *valPath != "" {
		val, err := readJSONL(*valPath)
		if err != nil {
			return err
		}
		ex = append(ex, val...)
	}
	if *showErrors {
		cvErrors = stdout
		defer func() { cvErrors = nil }()
	}
	if *repeats < 1 {
		return usageError{"--repeats must be at least 1"}
	}
	var acc float64
	scored, scheme := len(ex), fmt.Sprintf("%d folds", *folds)
	for r := range *repeats {
		var a float64
		var err error
		if *perIntent > 0 {
			a, scored, err = fewShot(ex, *perIntent, *o, uint64(7+r))
			scheme = fmt.Sprintf("%d per intent", *perIntent)
		} else {
			a, err = crossValidateSeed(ex, *folds, *o, uint64(7+r))
		}
		if err != nil {
			return err
		}
		acc += a / float64(*repeats)
		if *repeats > 1 {
			fmt.Fprintf(stdout, "repeat %d: %.4f (%.0f/%d)\n", r+1, a, a*float64(scored), scored)
		}
	}
	fmt.Fprintf(stdout, "cv accuracy %.4f (%.1f/%d correct, %s x %d) %+v\n", acc, acc*float64(scored), scored, scheme, *repeats, *o)
	return nil
}

// optionFlags registers a flag for every hyperparameter a comparison may
// change (cv and eval); bots always train with the defaults.
func optionFlags(fs *flag.FlagSet) *nlu.Options {
	o := nlu.DefaultOptions()
	fs.Float64Var(&o.C, "C", o.C, "SVM cost")
	fs.Float64Var(&o.Epsilon, "eps", o.Epsilon, "solver stopping tolerance")
	fs.IntVar(&o.CharMin, "char-min", o.CharMin, "shortest character n-gram")
	fs.IntVar(&o.CharMax, "char-max", o.CharMax, "longest character n-gram (0: none)")
	fs.Float64Var(&o.CharShare, "char-share", o.CharShare, "share of the character block in the vector norm")
	fs.BoolVar(&o.Bigrams, "bigrams", o.Bigrams, "word bigrams")
	fs.BoolVar(&o.Raw, "raw", o.Raw, "unstemmed unigrams")
	fs.BoolVar(&o.Balanced, "balanced", o.Balanced, "class-balanced cost")
	fs.BoolVar(&o.Spell, "spell", o.Spell, "spelling correction")
	fs.BoolVar(&o.SpellKeepWords, "spell-keep-words", o.SpellKeepWords, "do not correct words of the vector table")
	fs.BoolVar(&o.StopWords, "stop", o.StopWords, "drop stop words from the word block")
	fs.BoolVar(&o.BinaryTF, "binary", o.BinaryTF, "binary instead of sublinear term frequency")
	fs.Float64Var(&o.NBWeight, "nb", o.NBWeight, "weight of the naive-Bayes posterior in the ensemble (0: none)")
	fs.Float64Var(&o.NBAlpha, "nb-alpha", o.NBAlpha, "naive-Bayes smoothing")
	fs.Float64Var(&o.LRWeight, "lr", o.LRWeight, "weight of the logistic-regression posterior in the ensemble (0: none)")
	fs.IntVar(&o.LRIter, "lr-iter", o.LRIter, "logistic-regression gradient passes")
	fs.Float64Var(&o.VectorShare, "vec-share", o.VectorShare, "share of the word-vector block in the vector norm (0: none)")
	fs.IntVar(&o.CalibrationFolds, "calib-folds", o.CalibrationFolds, "held-out calibration folds (0: leave-one-out approximation)")
	fs.IntVar(&o.CalibrationMaxPerIntent, "calib-max-per-intent", o.CalibrationMaxPerIntent, "bots with fewer utterances per intent are calibrated on held-out folds")
	fs.Float64Var(&o.CoverageExponent, "cover-exp", o.CoverageExponent, "exponent of the coverage factor")
	fs.BoolVar(&o.CoverEntityWords, "cover-entity-words", o.CoverEntityWords, "leave tokens with digits and list-entity words out of coverage")
	fs.BoolVar(&o.CoverByRarity, "cover-rarity", o.CoverByRarity, "weigh coverage words by their rarity in general English")
	return &o
}

// crossValidate returns the pooled accuracy of stratified k-fold CV.
func crossValidate(ex []Example, k int, o nlu.Options) (float64, error) {
	return crossValidateSeed(ex, k, o, 7)
}

// cvErrors, when set, receives every misclassified example of crossValidate.
var cvErrors io.Writer

// crossValidateSeed is crossValidate with the fold assignment seeded by seed.
func crossValidateSeed(ex []Example, k int, o nlu.Options, seed uint64) (float64, error) {
	fold := make([]int, len(ex))
	next := 0
	for _, idx := range shuffledByIntent(ex, seed, 7) {
		for _, i := range idx {
			fold[i] = next % k
			next++
		}
	}
	correct := 0
	for f := 0; f < k; f++ {
		n, err := trainAndScore(ex, func(i int) bool { return fold[i] != f }, o)
		if err != nil {
			return 0, fmt.Errorf("fold %d: %w", f, err)
		}
		correct += n
	}
	return float64(correct) / float64(len(ex)), nil
}

// fewShot samples n utterances of each intent (seeded), trains on them and
// returns the accuracy on every other utterance: how a bot with a handful of
// examples per intent generalises, the situation of most real bots and of
// the small Braun corpora, whose test sets are larger than their training
// sets.
func fewShot(ex []Example, n int, o nlu.Options, seed uint64) (acc float64, scored int, err error) {
	inTrain := make([]bool, len(ex))
	for _, idx := range shuffledByIntent(ex, seed, 11) {
		for _, i := range idx[:min(n, len(idx)-1)] {
			inTrain[i] = true
		}
	}
	correct, err := trainAndScore(ex, func(i int) bool { return inTrain[i] }, o)
	if err != nil {
		return 0, 0, fmt.Errorf("few-shot training: %w", err)
	}
	scored = len(ex)
	for _, t := range inTrain {
		if t {
			scored--
		}
	}
	return float64(correct) / float64(scored), scored, nil
}

// shuffledByIntent returns the example indices of each intent, intents in
// name order, each list shuffled by one generator seeded with (seed, stream).
func shuffledByIntent(ex []Example, seed, stream uint64) [][]int {
	byIntent := map[string][]int{}
	for i, e := range ex {
		byIntent[e.Intent] = append(byIntent[e.Intent], i)
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	var out [][]int
	for _, name := range sortedKeys(byIntent) {
		idx := byIntent[name]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		out = append(out, idx)
	}
	return out
}

// trainAndScore trains on the examples train selects and returns how many
// of the others are ranked first correctly, listing the rest to cvErrors.
func trainAndScore(ex []Example, train func(i int) bool, o nlu.Options) (int, error) {
	var tr, te []Example
	for i, e := range ex {
		if train(i) {
			tr = append(tr, e)
		} else {
			te = append(te, e)
		}
	}
	m, err := nlu.TrainOptions(trainingData(tr), o)
	if err != nil {
		return 0, err
	}
	correct := 0
	for _, e := range te {
		if got := m.Classify(e.Text).Top(); got == e.Intent {
			correct++
		} else if cvErrors != nil {
			fmt.Fprintf(cvErrors, "  %q: %s → %s\n", e.Text, e.Intent, got)
		}
	}
	return correct, nil
}

// BatchReport is the output of test, with Kore's batch-testing counts.
type BatchReport struct {
	Total     int     `json:"total"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	TN        int     `json:"tn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// IntentSuccess is Kore's Intent Success %: (TP + TN) / total, as a
	// share.
	IntentSuccess float64 `json:"intent_success"`
	// EntityCases counts the rows that expect entities; EntitySuccess is
	// the share of them whose every expected entity was found with its
	// value (Kore's Entity Success %).
	EntityCases   int      `json:"entity_cases,omitempty"`
	EntitySuccess *float64 `json:"entity_success,omitempty"`
	Failures      []string `json:"failures,omitempty"`
}

func runTest(args []string, stdout, stderr io.Writer, loadBot func(string) (nlu.TrainingData, error)) error {
	fs := newFlags("test", stderr)
	dir := fs.String("bot", "", "bot definition directory (required)")
	path := fs.String("utterances", "", "JSONL file of {text, intent}, or a Kore batch-test suite ({\"testCases\": [...]}) (required)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *path == "" {
		return usageError{"--bot and --utterances are required"}
	}
	m, err := loadModel(*dir, loadBot)
	if err != nil {
		return err
	}
	rows, err := readBatch(*path)
	if err != nil {
		return err
	}
	rep := batchTest(m, rows)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	pct := func(n int) float64 { return 100 * ratio(n, rep.Total) }
	fmt.Fprintf(stdout, "utterances %d\nTP %d (%.1f%%)  FP %d (%.1f%%)  FN %d (%.1f%%)  TN %d (%.1f%%)\n",
		rep.Total, rep.TP, pct(rep.TP), rep.FP, pct(rep.FP), rep.FN, pct(rep.FN), rep.TN, pct(rep.TN))
	fmt.Fprintf(stdout, "precision %.4f  recall %.4f  F1 %.4f  intent success %.1f%%\n", rep.Precision, rep.Recall, rep.F1, 100*rep.IntentSuccess)
	if rep.EntitySuccess != nil {
		fmt.Fprintf(stdout, "entity success %.1f%% of %d utterances with entities\n", 100**rep.EntitySuccess, rep.EntityCases)
	}
	for _, f := range rep.Failures {
		fmt.Fprintln(stdout, "  "+f)
	}
	return nil
}

// batchTest runs the batch through the model and counts Kore's outcomes.
func batchTest(m *nlu.Model, rows []batchCase) BatchReport {
	var rep BatchReport
	entityOK := 0
	specs := m.Entities()
	ref := entity.Reference{Now: time.Now(), Language: m.Language()}
	for i, row := range rows {
		// Kore merges consecutive rows with the same utterance: the first
		// expectation stands for the group.
		if i > 0 && rows[i-1].Text == row.Text {
			continue
		}
		rep.Total++
		if len(row.Entities) > 0 {
			rep.EntityCases++
			failures := entityFailures(row, specs, ref)
			if len(failures) == 0 {
				entityOK++
			}
			rep.Failures = append(rep.Failures, failures...)
		}
		rep.countIntent(row, m.Classify(row.Text))
	}
	rep.Precision = ratio(rep.TP, rep.TP+rep.FP)
	rep.Recall = ratio(rep.TP, rep.TP+rep.FN)
	rep.F1 = f1(rep.Precision, rep.Recall)
	rep.IntentSuccess = ratio(rep.TP+rep.TN, rep.Total)
	if rep.EntityCases > 0 {
		v := ratio(entityOK, rep.EntityCases)
		rep.EntitySuccess = &v
	}
	return rep
}

// entityFailures describes each expected entity of row that is not found
// with its value.
func entityFailures(row batchCase, specs map[string]entity.Spec, ref entity.Reference) []string {
	var failures []string
	for _, want := range row.Entities {
		spec, known := specs[want.Name]
		got, found := entity.Match{}, false
		if known {
			got, found = entity.Extract(spec, row.Text, ref)
		}
		if !found || !entityMatches(got.Value, want.Value) {
			failures = append(failures, fmt.Sprintf("entity %q: %s expected %q, got %s", row.Text, want.Name, want.Value, describeEntity(known, found, got)))
		}
	}
	return failures
}

// countIntent counts the outcome of classifying row as r and describes a
// wrong one.
func (rep *BatchReport) countIntent(row batchCase, r nlu.Result) {
	switch o := batchOutcome(row.Intents, r); o {
	case "TP":
		rep.TP++
	case "TN":
		rep.TN++
	default:
		if o == "FP" {
			rep.FP++
		} else {
			rep.FN++
		}
		got := r.Intent
		switch r.Status {
		case nlu.StatusAmbiguous:
			got = "ambiguous: " + strings.Join(r.Candidates, " | ")
		case nlu.StatusNone:
			got = "no match"
		}
		rep.Failures = append(rep.Failures, fmt.Sprintf("%s %q: expected %q, got %s", o, row.Text, strings.Join(row.Intents, " | "), got))
	}
}

func describeEntity(known, found bool, m entity.Match) string {
	switch {
	case !known:
		return "no such entity in the bot"
	case !found:
		return "nothing"
	}
	v, _ := json.Marshal(m.Value)
	return fmt.Sprintf("%s from %q", v, m.Text)
}

func loadModel(dir string, loadBot func(string) (nlu.TrainingData, error)) (*nlu.Model, error) {
	if loadBot == nil {
		return nil, errors.New("no bot loader configured")
	}
	td, err := loadBot(dir)
	if err != nil {
		return nil, fmt.Errorf("load bot %s: %w", dir, err)
	}
	m, err := nlu.Train(td)
	if err != nil {
		return nil, fmt.Errorf("train bot %s: %w", dir, err)
	}
	return m, nil
}

// ParseReport is the output of parse.
type ParseReport struct {
	Text     string         `json:"text"`
	Result   nlu.Result     `json:"result"`
	Entities []EntityResult `json:"entities"`
}

// EntityResult is one entity found in the utterance.
type EntityResult struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

func runParse(args []string, stdout, stderr io.Writer, loadBot func(string) (nlu.TrainingData, error)) error {
	fs := newFlags("parse", stderr)
	dir := fs.String("bot", "", "bot definition directory (required)")
	nowFlag := fs.String("now", "", "reference time, RFC 3339 (default: now)")
	tz := fs.String("tz", "", "reference time zone, e.g. Europe/Berlin (default: the --now offset, else UTC)")
	region := fs.String("region", "US", "default phone region, ISO 3166 alpha-2")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() == 0 {
		return usageError{"--bot and an utterance are required"}
	}
	text := strings.Join(fs.Args(), " ")
	now := time.Now().UTC()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageError{fmt.Sprintf("--now: %v", err)}
		}
		now = t
	}
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return usageError{fmt.Sprintf("--tz: %v", err)}
		}
		now = now.In(loc)
	}
	m, err := loadModel(*dir, loadBot)
	if err != nil {
		return err
	}
	rep := ParseReport{Text: text, Result: m.Classify(text), Entities: []EntityResult{}}
	ref := entity.Reference{Now: now, Region: *region, Language: m.Language()}
	specs := m.Entities()
	for _, name := range sortedKeys(specs) {
		spec := specs[name]
		if mt, ok := entity.Extract(spec, text, ref); ok {
			rep.Entities = append(rep.Entities, EntityResult{Name: name, Type: string(spec.Type), Value: mt.Value, Text: mt.Text, Start: mt.Start, End: mt.End})
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	r := rep.Result
	fmt.Fprintf(stdout, "%q\nstatus %s", text, r.Status)
	if r.Intent != "" {
		fmt.Fprintf(stdout, ", intent %s", r.Intent)
	}
	if len(r.Candidates) > 0 {
		fmt.Fprintf(stdout, ", did you mean: %s", strings.Join(r.Candidates, " | "))
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tintent\tscore\tengine\tdefinite\teliminated\tpattern")
	for i, x := range r.Ranked {
		fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\t%v\t%s\t%s\n", i+1, x.Intent, x.Score, x.Engine, x.Definite, x.Eliminated, x.Pattern)
	}
	tw.Flush()
	if len(rep.Entities) > 0 {
		fmt.Fprintln(stdout, "entities:")
		sort.SliceStable(rep.Entities, func(i, j int) bool { return rep.Entities[i].Start < rep.Entities[j].Start })
		for _, e := range rep.Entities {
			v, _ := json.Marshal(e.Value)
			fmt.Fprintf(stdout, "  %s (%s) = %s  from %q [%d:%d]\n", e.Name, e.Type, v, e.Text, e.Start, e.End)
		}
	}
	return nil
}
