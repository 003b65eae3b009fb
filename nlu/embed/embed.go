// Package embed holds pre-trained word vectors for the NLU classifier: a
// table from a lower-case word to a fixed-size vector, read from Parley's
// compact quantised format.
//
// Why ship vectors at all: a bot's training utterances cover a small part of
// the words its users will type. Two words that never co-occur in a bot's
// training data ("reserve", "book") look unrelated to a model trained only on
// that data; vectors learnt from a large general corpus place them close, so
// an averaged utterance vector carries meaning across words the bot never
// saw. They are a feature block next to the TF-IDF n-grams, not a
// replacement for them.
//
// # Format
//
// A gzip stream of, little-endian:
//
//	magic   "PLYVEC1\n"
//	count   uint32, dim uint16
//	words   count × (uint8 length, bytes), most frequent first
//	scales  count × float32
//	values  count × dim × int8; component j of word i is values[i][j]·scales[i]/127
//
// Quantising each vector to int8 with its own scale keeps a cosine
// similarity within about 1 % of the float original at a quarter of the
// size.
package embed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

const magic = "PLYVEC1\n"

// Limits on what Read accepts.
const (
	maxDim   = 1024
	maxWords = 1 << 22
)

// Table maps words to vectors. The zero value has no words. A Table is
// read-only after Read and safe for concurrent use.
type Table struct {
	dim    int
	index  map[string]int32
	scales []float32
	values []int8
}

// Dim is the vector size.
func (t *Table) Dim() int {
	if t == nil {
		return 0
	}
	return t.dim
}

// Len is the number of words.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.scales)
}

// Has reports whether word is in the table.
func (t *Table) Has(word string) bool {
	if t == nil {
		return false
	}
	_, ok := t.index[word]
	return ok
}

// Rank is the word's position in the table, most frequent first.
func (t *Table) Rank(word string) (int, bool) {
	if t == nil {
		return 0, false
	}
	i, ok := t.index[word]
	return int(i), ok
}

// Words returns the table's words, most frequent first.
func (t *Table) Words() []string {
	if t == nil {
		return nil
	}
	out := make([]string, len(t.scales))
	for w, i := range t.index {
		out[i] = w
	}
	return out
}

// AddTo adds weight times the vector of word to dst (which has Dim
// elements) and reports whether the word is known.
func (t *Table) AddTo(dst []float64, word string, weight float64) bool {
	if t == nil {
		return false
	}
	i, ok := t.index[word]
	if !ok {
		return false
	}
	s := weight * float64(t.scales[i]) / 127
	row := t.values[int(i)*t.dim : int(i+1)*t.dim]
	for j, v := range row {
		dst[j] += s * float64(v)
	}
	return true
}

// Read decodes a table written by Write.
func Read(r io.Reader) (*Table, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read word vectors: %w", err)
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 1<<16)
	head := make([]byte, len(magic)+6)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("read word vectors header: %w", err)
	}
	if string(head[:len(magic)]) != magic {
		return nil, errors.New("read word vectors: not a Parley vector file")
	}
	count := int(binary.LittleEndian.Uint32(head[len(magic):]))
	dim := int(binary.LittleEndian.Uint16(head[len(magic)+4:]))
	if dim == 0 || dim > maxDim || count > maxWords {
		return nil, fmt.Errorf("read word vectors: implausible size %d×%d", count, dim)
	}
	// Sizes come from the file, so memory grows with the data actually
	// read, never with what the header claims.
	t := &Table{dim: dim, index: make(map[string]int32, min(count, 1<<16))}
	var word [255]byte
	for i := range count {
		n, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("read word %d: %w", i, err)
		}
		if _, err := io.ReadFull(br, word[:n]); err != nil {
			return nil, fmt.Errorf("read word %d: %w", i, err)
		}
		w := string(word[:n])
		if _, dup := t.index[w]; !dup {
			t.index[w] = int32(i)
		}
	}
	var raw bytes.Buffer
	if _, err := io.CopyN(&raw, br, int64(count)*4); err != nil {
		return nil, fmt.Errorf("read vector scales: %w", err)
	}
	t.scales = make([]float32, count)
	for i := range t.scales {
		t.scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw.Bytes()[4*i:]))
	}
	raw.Reset()
	if _, err := io.CopyN(&raw, br, int64(count)*int64(dim)); err != nil {
		return nil, fmt.Errorf("read vector values: %w", err)
	}
	t.values = make([]int8, count*dim)
	for i, b := range raw.Bytes() {
		t.values[i] = int8(b)
	}
	return t, nil
}

// Write encodes words and their float vectors (all of length dim) in the
// quantised format.
func Write(w io.Writer, words []string, vectors [][]float32) error {
	if len(words) != len(vectors) || len(words) == 0 {
		return fmt.Errorf("write word vectors: %d words for %d vectors", len(words), len(vectors))
	}
	dim := len(vectors[0])
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	head := make([]byte, len(magic)+6)
	copy(head, magic)
	binary.LittleEndian.PutUint32(head[len(magic):], uint32(len(words)))
	binary.LittleEndian.PutUint16(head[len(magic)+4:], uint16(dim))
	// A bufio.Writer keeps its first error and returns it from every later
	// call, so the checked binary.Write and Flush below report these too.
	_, _ = bw.Write(head)
	for _, wd := range words {
		if len(wd) == 0 || len(wd) > 255 {
			return fmt.Errorf("write word vectors: word %q has an unusable length", wd)
		}
		_ = bw.WriteByte(byte(len(wd)))
		_, _ = bw.WriteString(wd)
	}
	scales := make([]float32, len(words))
	values := make([]int8, 0, len(words)*dim)
	for i, v := range vectors {
		if len(v) != dim {
			return fmt.Errorf("write word vectors: %q has %d components, want %d", words[i], len(v), dim)
		}
		var m float64
		for _, x := range v {
			m = math.Max(m, math.Abs(float64(x)))
		}
		scales[i] = float32(m)
		for _, x := range v {
			q := 0.0
			if m > 0 {
				q = math.Round(float64(x) / m * 127)
			}
			values = append(values, int8(q))
		}
	}
	if err := binary.Write(bw, binary.LittleEndian, scales); err != nil {
		return err
	}
	if err := binary.Write(bw, binary.LittleEndian, values); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}
