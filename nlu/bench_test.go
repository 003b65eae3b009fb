package nlu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parleyhq/parley/nlu/embed"
)

// syntheticBot builds a deterministic bot of nIntents × nUtt utterances
// over real English words (from the built-in vector table, so the vector
// block is computed as for a real bot): each intent owns eight key words,
// and utterances mix them with filler drawn by Zipf's law from the 20,000
// most frequent words, the way function and common words are spread in
// real text. That gives a realistic vocabulary, number of features per
// utterance and overlap between intents.
func syntheticBot(nIntents, nUtt int) (TrainingData, []string) {
	rng := rand.New(rand.NewPCG(42, 42))
	tab, err := embed.English()
	if err != nil {
		panic(err)
	}
	words := tab.Words()[:20000]
	zipf := rand.NewZipf(rng, 1.07, 1, uint64(len(words)-1))
	keyWords := words[500:]
	var td TrainingData
	var queries []string
	for i := 0; i < nIntents; i++ {
		keys := make([]string, 8)
		for k := range keys {
			keys[k] = keyWords[rng.IntN(len(keyWords))]
		}
		in := IntentData{Name: fmt.Sprintf("intent_%03d", i)}
		for u := 0; u < nUtt+1; u++ {
			n := 5 + rng.IntN(5)
			ws := make([]string, n)
			for k := range ws {
				if rng.IntN(3) == 0 {
					ws[k] = keys[rng.IntN(len(keys))]
				} else {
					ws[k] = words[zipf.Uint64()]
				}
			}
			s := strings.Join(ws, " ")
			if u == nUtt {
				queries = append(queries, s)
			} else {
				in.Utterances = append(in.Utterances, s)
			}
		}
		in.Patterns = []string{keys[0] + " * " + keys[1]}
		td.Intents = append(td.Intents, in)
	}
	return td, queries
}

// benchOptions are the defaults ("default": a bot of this size is over
// VectorMaxPairs, so n-grams only) and the defaults with the word-vector
// block forced on ("vectors"), so one run gives the block's cost as a ratio.
func benchOptions() map[string]Options {
	vectors := DefaultOptions()
	vectors.VectorMaxPairs = 0
	return map[string]Options{"default": DefaultOptions(), "vectors": vectors}
}

func BenchmarkTrain150x100(b *testing.B) {
	td, _ := syntheticBot(150, 100)
	for _, name := range []string{"default", "vectors"} {
		o := benchOptions()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := TrainOptions(td, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClassify150x100(b *testing.B) {
	td, queries := syntheticBot(150, 100)
	for _, name := range []string{"default", "vectors"} {
		m, err := TrainOptions(td, benchOptions()[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Classify(queries[i%len(queries)])
				i++
			}
			wts := len(m.lin.w)
			if m.nb != nil {
				wts += len(m.nb.w)
			}
			b.ReportMetric(float64(wts*4)/1e6, "weights-MB")
		})
	}
}

// BenchmarkEncoderProjection times one BERT-base projection (a 768 × 768
// float32 matrix times 16 token vectors) in plain Go, the figure behind
// RESULTS.md's argument that a transformer encoder cannot fit the 100 µs
// classification budget: it reports the GFLOP/s this machine reaches.
func BenchmarkEncoderProjection(b *testing.B) {
	const d, tokens = 768, 16
	w := make([]float32, d*d)
	x := make([]float32, tokens*d)
	y := make([]float32, tokens*d)
	for i := range w {
		w[i] = float32(i%7) * 0.01
	}
	for i := range x {
		x[i] = float32(i%5) * 0.1
	}
	for b.Loop() {
		for t := range tokens {
			xt, yt := x[t*d:(t+1)*d], y[t*d:(t+1)*d]
			for i := range d {
				row := w[i*d : (i+1)*d]
				var s0, s1, s2, s3 float32
				for j := 0; j+4 <= d; j += 4 {
					s0 += row[j] * xt[j]
					s1 += row[j+1] * xt[j+1]
					s2 += row[j+2] * xt[j+2]
					s3 += row[j+3] * xt[j+3]
				}
				yt[i] = s0 + s1 + s2 + s3
			}
		}
	}
	b.ReportMetric(float64(2*d*d*tokens)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
}

// BenchmarkNegativeRatio trains the 150-intent bot with each negative-sampling
// ratio (0: every negative) on 100 utterances per intent and reports how
// many of 10 held-out utterances per intent (1,500) rank their own intent
// first: the figures behind Options.NegativeRatio.
func BenchmarkNegativeRatio(b *testing.B) {
	td, _ := syntheticBot(150, 110)
	var queries, want []string
	for i := range td.Intents {
		in := &td.Intents[i]
		for _, q := range in.Utterances[100:] {
			queries, want = append(queries, q), append(want, in.Name)
		}
		in.Utterances = in.Utterances[:100]
	}
	for _, ratio := range []float64{0, 40, 20, 10, 5} {
		b.Run(fmt.Sprintf("ratio=%v", ratio), func(b *testing.B) {
			o := DefaultOptions()
			o.NegativeRatio = ratio
			var m *Model
			for b.Loop() {
				var err error
				if m, err = TrainOptions(td, o); err != nil {
					b.Fatal(err)
				}
			}
			right := 0
			for i, q := range queries {
				if m.Classify(q).Top() == want[i] {
					right++
				}
			}
			b.ReportMetric(float64(right), "heldout-right")
		})
	}
}
