package nlu

import (
	"math"
	"slices"
	"sort"
)

// Feature blocks. Each block is TF-IDF weighted and L2-normalised on its
// own, then scaled so the word and character views contribute a fixed share
// of the vector's norm: a cheap, single-model equivalent of an ensemble of a
// word model and a character model.
const (
	blockWord uint8 = iota
	blockChar
)

// pruneDocs is the training-set size from which singleton features are
// dropped.
const pruneDocs = 2000

// featurizer maps an analysed utterance to a sparse TF-IDF vector.
type featurizer struct {
	opts  Options
	index map[string]int32
	idf   []float32
	block []uint8
	stop  func(string) bool
}

// sparse is a sparse vector with sorted indices.
type sparse struct {
	idx []int32
	val []float32
}

// keys calls emit for every feature occurrence of a (with repetition, so
// term frequency is the emit count).
func (f *featurizer) keys(a analysis, buf []byte, emit func(key []byte, block uint8)) {
	for i, s := range a.stems {
		if f.opts.StopWords && f.stop != nil && f.stop(a.raw[i]) {
			continue
		}
		buf = append(append(buf[:0], 'w', 0), s...)
		emit(buf, blockWord)
		if f.opts.Raw && a.raw[i] != s {
			buf = append(append(buf[:0], 'r', 0), a.raw[i]...)
			emit(buf, blockWord)
		}
		if f.opts.Bigrams && i+1 < len(a.stems) {
			buf = append(append(buf[:0], 'b', 0), s...)
			buf = append(append(buf, ' '), a.stems[i+1]...)
			emit(buf, blockWord)
		}
	}
	if f.opts.CharMax == 0 {
		return
	}
	var rs []rune
	for _, t := range a.raw {
		rs = append(append(append(rs[:0], ' '), []rune(t)...), ' ')
		for n := f.opts.CharMin; n <= f.opts.CharMax; n++ {
			if n > len(rs) {
				break
			}
			for i := 0; i+n <= len(rs); i++ {
				buf = append(buf[:0], 'c', 0)
				for _, r := range rs[i : i+n] {
					buf = appendRune(buf, r)
				}
				emit(buf, blockChar)
			}
		}
	}
}

func appendRune(b []byte, r rune) []byte {
	if r < 0x80 {
		return append(b, byte(r))
	}
	return append(b, string(r)...)
}

// fit builds the vocabulary and IDF from the training documents.
func (f *featurizer) fit(docs []analysis) {
	df := map[string]int{}
	blocks := map[string]uint8{}
	seen := map[string]struct{}{}
	var buf []byte
	for _, d := range docs {
		clear(seen)
		f.keys(d, buf, func(k []byte, b uint8) {
			if _, ok := seen[string(k)]; ok {
				return
			}
			s := string(k)
			seen[s] = struct{}{}
			df[s]++
			blocks[s] = b
		})
	}
	// In large bots, features seen in a single utterance are dropped: they
	// are mostly typos and names, cost memory in every intent's weights, and
	// cross-validation showed no loss from dropping them.
	minDF := 1
	if len(docs) >= pruneDocs {
		minDF = 2
	}
	names := make([]string, 0, len(df))
	for k, n := range df {
		if n >= minDF {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	f.index = make(map[string]int32, len(names))
	f.idf = make([]float32, len(names))
	f.block = make([]uint8, len(names))
	n := float64(len(docs))
	for i, k := range names {
		f.index[k] = int32(i)
		f.idf[i] = float32(math.Log((1+n)/(1+float64(df[k]))) + 1)
		f.block[i] = blocks[k]
	}
}

// dim is the number of features, excluding the bias.
func (f *featurizer) dim() int { return len(f.idf) }

// vector returns the TF-IDF vector of a, using scratch for temporary ids.
func (f *featurizer) vector(a analysis, scratch []int32) (sparse, []int32) {
	ids := scratch[:0]
	var buf [64]byte
	f.keys(a, buf[:0], func(k []byte, _ uint8) {
		if id, ok := f.index[string(k)]; ok {
			ids = append(ids, id)
		}
	})
	slices.Sort(ids)
	var v sparse
	var norm [2]float64
	for i := 0; i < len(ids); {
		j := i
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		id := ids[i]
		w := float64(f.idf[id]) // binary tf
		if !f.opts.BinaryTF {
			w *= 1 + math.Log(float64(j-i)) // sublinear tf
		}
		v.idx = append(v.idx, id)
		v.val = append(v.val, float32(w))
		norm[f.block[id]] += w * w
		i = j
	}
	share := [2]float64{1 - f.opts.CharShare, f.opts.CharShare}
	if f.opts.CharMax == 0 || norm[blockChar] == 0 {
		share = [2]float64{1, 0}
	} else if norm[blockWord] == 0 {
		share = [2]float64{0, 1}
	}
	var scale [2]float64
	for b := range scale {
		if norm[b] > 0 {
			scale[b] = math.Sqrt(share[b] / norm[b])
		}
	}
	for i, id := range v.idx {
		v.val[i] = float32(float64(v.val[i]) * scale[f.block[id]])
	}
	return v, ids
}
