package nlu

import (
	"math"
	"slices"
	"unicode/utf8"

	"github.com/parleyhq/parley/nlu/embed"
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
	opts Options
	// index maps a feature key's 64-bit FNV-1a hash to its column. Hashing
	// once while the key is built is cheaper than hashing and comparing
	// strings in a large map, and keeps no key strings in memory; with at
	// most a few hundred thousand features a 64-bit collision is
	// vanishingly unlikely (and would only merge two features).
	index map[uint64]int32
	idf   []float32
	block []uint8
	stop  func(string) bool
	// vectors, when set, adds a dense block: the mean pre-trained vector
	// of the utterance's words, given Options.VectorShare of the norm.
	vectors *embed.Table
}

// sparse is a sparse vector with sorted indices.
type sparse struct {
	idx []int32
	val []float32
}

// FNV-1a, 64 bits, fixed so that models are deterministic.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

// Feature keys are hashed with a one-letter kind prefix so a word, a bigram
// and a character n-gram with the same letters stay distinct features.
var (
	hashWord   = fnvByte(fnvByte(fnvOffset, 'w'), 0)
	hashRaw    = fnvByte(fnvByte(fnvOffset, 'r'), 0)
	hashBigram = fnvByte(fnvByte(fnvOffset, 'b'), 0)
	hashChar   = fnvByte(fnvByte(fnvOffset, 'c'), 0)
)

// keys calls emit with the hash of every feature occurrence of a (with
// repetition, so term frequency is the emit count). Character n-grams
// starting at one position are hashed incrementally, one rune at a time, so
// an utterance costs one pass per start position instead of one per n-gram.
func (f *featurizer) keys(a analysis, emit func(h uint64, block uint8)) {
	f.wordKeys(a, emit)
	if f.opts.CharMax > 0 {
		f.charKeys(a, emit)
	}
}

// wordKeys emits the word block: stems, raw words and bigrams.
func (f *featurizer) wordKeys(a analysis, emit func(h uint64, block uint8)) {
	for i, s := range a.stems {
		if f.opts.StopWords && f.stop != nil && f.stop(a.raw[i]) {
			continue
		}
		emit(fnvString(hashWord, s), blockWord)
		if f.opts.Raw && a.raw[i] != s {
			emit(fnvString(hashRaw, a.raw[i]), blockWord)
		}
		if f.opts.Bigrams && i+1 < len(a.stems) {
			emit(fnvString(fnvByte(fnvString(hashBigram, s), ' '), a.stems[i+1]), blockWord)
		}
	}
}

// charKeys emits the character block: the n-grams of every raw word padded
// with a space on each side.
func (f *featurizer) charKeys(a analysis, emit func(h uint64, block uint8)) {
	var utf [4]byte
	var rs []rune
	for _, t := range a.raw {
		rs = append(append(append(rs[:0], ' '), []rune(t)...), ' ')
		for i := range rs {
			h := hashChar
			for n := 1; n <= f.opts.CharMax && i+n <= len(rs); n++ {
				r := rs[i+n-1]
				if r < utf8.RuneSelf {
					h = fnvByte(h, byte(r))
				} else {
					for _, c := range utf[:utf8.EncodeRune(utf[:], r)] {
						h = fnvByte(h, c)
					}
				}
				if n >= f.opts.CharMin {
					emit(h, blockChar)
				}
			}
		}
	}
}

// fit builds the vocabulary and IDF from the training documents.
func (f *featurizer) fit(docs []analysis) {
	df := map[uint64]int{}
	blocks := map[uint64]uint8{}
	seen := map[uint64]struct{}{}
	for _, d := range docs {
		clear(seen)
		f.keys(d, func(h uint64, b uint8) {
			if _, ok := seen[h]; ok {
				return
			}
			seen[h] = struct{}{}
			df[h]++
			blocks[h] = b
		})
	}
	// In large bots, features seen in a single utterance are dropped: they
	// are mostly typos and names, cost memory in every intent's weights, and
	// cross-validation showed no loss from dropping them.
	minDF := 1
	if len(docs) >= pruneDocs {
		minDF = 2
	}
	keys := make([]uint64, 0, len(df))
	for k, n := range df {
		if n >= minDF {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	f.index = make(map[uint64]int32, len(keys))
	f.idf = make([]float32, len(keys))
	f.block = make([]uint8, len(keys))
	n := float64(len(docs))
	for i, k := range keys {
		f.index[k] = int32(i)
		f.idf[i] = float32(math.Log((1+n)/(1+float64(df[k]))) + 1)
		f.block[i] = blocks[k]
	}
}

// dim is the number of features, excluding the bias.
func (f *featurizer) dim() int { return len(f.idf) + f.vectors.Dim() }

// meanVector sets dst to the unit-length mean of the vectors of a's content
// words (all words when it has no content word the table knows) and reports
// whether any word was known.
func (f *featurizer) meanVector(a analysis, dst []float64) bool {
	clear(dst)
	found := false
	for _, w := range a.raw {
		if f.stop != nil && f.stop(w) {
			continue
		}
		found = f.vectors.AddTo(dst, w, 1) || found
	}
	if !found {
		for _, w := range a.raw {
			found = f.vectors.AddTo(dst, w, 1) || found
		}
	}
	if !found {
		return false
	}
	var n float64
	for _, x := range dst {
		n += x * x
	}
	if n == 0 {
		return false
	}
	n = 1 / math.Sqrt(n)
	for j := range dst {
		dst[j] *= n
	}
	return true
}

// vector returns the TF-IDF vector of a, using scratch for temporary ids.
func (f *featurizer) vector(a analysis, scratch []int32) (sparse, []int32) {
	ids := scratch[:0]
	f.keys(a, func(h uint64, _ uint8) {
		if id, ok := f.index[h]; ok {
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
	var dense []float64
	if d := f.vectors.Dim(); d > 0 {
		dense = make([]float64, d)
		if f.meanVector(a, dense) {
			share[0] *= 1 - f.opts.VectorShare
			share[1] *= 1 - f.opts.VectorShare
		} else {
			dense = nil
		}
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
	if dense != nil {
		base := int32(len(f.idf))
		ds := math.Sqrt(f.opts.VectorShare)
		for j, x := range dense {
			v.idx = append(v.idx, base+int32(j))
			v.val = append(v.val, float32(x*ds))
		}
	}
	return v, ids
}
