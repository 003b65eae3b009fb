package nlu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// syntheticBot builds a deterministic bot of nIntents × nUtt utterances
// over a vocabulary of pronounceable pseudo-words: each intent owns a few
// key words and utterances mix them with shared filler, which gives a
// realistic number of features per utterance and overlapping intents.
func syntheticBot(nIntents, nUtt int) (TrainingData, []string) {
	rng := rand.New(rand.NewPCG(42, 42))
	syll := []string{"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "gu", "zo", "be", "xi", "fa", "ho"}
	word := func() string {
		var b strings.Builder
		for n := 2 + rng.IntN(3); n > 0; n-- {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		return b.String()
	}
	common := make([]string, 400)
	for i := range common {
		common[i] = word()
	}
	var td TrainingData
	var queries []string
	for i := 0; i < nIntents; i++ {
		keys := make([]string, 8)
		for k := range keys {
			keys[k] = word()
		}
		in := IntentData{Name: fmt.Sprintf("intent_%03d", i)}
		for u := 0; u < nUtt+1; u++ {
			n := 5 + rng.IntN(5)
			ws := make([]string, n)
			for k := range ws {
				if rng.IntN(3) == 0 {
					ws[k] = keys[rng.IntN(len(keys))]
				} else {
					ws[k] = common[rng.IntN(len(common))]
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

func BenchmarkTrain150x100(b *testing.B) {
	td, _ := syntheticBot(150, 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(td); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassify150x100(b *testing.B) {
	td, queries := syntheticBot(150, 100)
	m, err := Train(td)
	if err != nil {
		b.Fatal(err)
	}
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
}
