package embed

import (
	"bytes"
	"compress/gzip"
	"math"
	"testing"
)

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func vectorOf(t *testing.T, tab *Table, w string) []float64 {
	t.Helper()
	v := make([]float64, tab.Dim())
	if !tab.AddTo(v, w, 1) {
		t.Fatalf("word %q is not in the table", w)
	}
	return v
}

func TestWriteReadRoundTrip(t *testing.T) {
	words := []string{"alpha", "beta", "gamma", "zero"}
	vecs := [][]float32{
		{0.5, -1.25, 3, 0.001},
		{-0.2, 0.2, -0.2, 0.2},
		{100, -50, 25, -12.5},
		{0, 0, 0, 0},
	}
	var buf bytes.Buffer
	if err := Write(&buf, words, vecs); err != nil {
		t.Fatal(err)
	}
	tab, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 4 || tab.Dim() != 4 {
		t.Fatalf("table is %d×%d, want 4×4", tab.Len(), tab.Dim())
	}
	for i, w := range words {
		got := vectorOf(t, tab, w)
		for j, x := range vecs[i] {
			// 8-bit quantisation against the vector's largest component.
			var m float64
			for _, y := range vecs[i] {
				m = math.Max(m, math.Abs(float64(y)))
			}
			if d := math.Abs(got[j] - float64(x)); d > m/127/2+1e-6 {
				t.Errorf("%s[%d] = %v, want %v ± %v", w, j, got[j], x, m/254)
			}
		}
	}
	// AddTo accumulates with a weight.
	v := vectorOf(t, tab, "beta")
	tab.AddTo(v, "beta", -1)
	for j, x := range v {
		if math.Abs(x) > 1e-9 {
			t.Errorf("beta - beta [%d] = %v", j, x)
		}
	}
	if tab.AddTo(v, "delta", 1) {
		t.Error("an unknown word was reported known")
	}
	var none *Table
	if none.AddTo(v, "alpha", 1) || none.Dim() != 0 || none.Len() != 0 {
		t.Error("a nil table is not empty")
	}
}

func TestWriteRefusesBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		words []string
		vecs  [][]float32
	}{
		"no words":         {nil, nil},
		"count mismatch":   {[]string{"a", "b"}, [][]float32{{1}}},
		"ragged vectors":   {[]string{"a", "b"}, [][]float32{{1, 2}, {1}}},
		"empty word":       {[]string{""}, [][]float32{{1}}},
		"word of 256 byte": {[]string{string(make([]byte, 256))}, [][]float32{{1}}},
	} {
		if err := Write(&bytes.Buffer{}, tc.words, tc.vecs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadRefusesCorruptFiles(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, []string{"a", "b"}, [][]float32{{1, 2, 3}, {4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	gz := func(raw []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var plain bytes.Buffer
	zr, err := gzip.NewReader(bytes.NewReader(good.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"not gzip":     []byte("PLYVEC1\n"),
		"wrong magic":  gz([]byte("NOTAVEC\n\x01\x00\x00\x00\x03\x00")),
		"zero dim":     gz([]byte("PLYVEC1\n\x01\x00\x00\x00\x00\x00")),
		"huge count":   gz([]byte("PLYVEC1\n\xff\xff\xff\xff\x03\x00")),
		"truncated":    gz(plain.Bytes()[:plain.Len()-1]),
		"header only":  gz(plain.Bytes()[:14]),
		"cut in words": gz(plain.Bytes()[:16]),
	} {
		if _, err := Read(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Read(bytes.NewReader(good.Bytes())); err != nil {
		t.Errorf("the intact file was refused: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	var good bytes.Buffer
	if err := Write(&good, []string{"a", "bc"}, [][]float32{{1, -2}, {0.5, 0.25}}); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		// A table that decodes is usable: every row fits.
		v := make([]float64, tab.Dim())
		if len(tab.values) != tab.Len()*tab.Dim() {
			t.Fatalf("%d values for %d×%d", len(tab.values), tab.Len(), tab.Dim())
		}
		for w := range tab.index {
			tab.AddTo(v, w, 1)
		}
	})
}

// The built-in English table places related words closer than unrelated
// ones, which is all the classifier relies on.
func TestEnglishTable(t *testing.T) {
	tab, err := English()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Dim() != 100 || tab.Len() != 50000 {
		t.Fatalf("English table is %d words × %d, want 50000 × 100", tab.Len(), tab.Dim())
	}
	for _, tc := range []struct{ word, near, far string }{
		{"reservation", "booking", "forecast"},
		{"song", "music", "restaurant"},
		{"rain", "snow", "album"},
		{"movie", "film", "printer"},
		{"cancel", "postpone", "sunny"},
	} {
		w, n, f := vectorOf(t, tab, tc.word), vectorOf(t, tab, tc.near), vectorOf(t, tab, tc.far)
		if cn, cf := cosine(w, n), cosine(w, f); cn <= cf {
			t.Errorf("cos(%s,%s) = %.3f is not above cos(%s,%s) = %.3f", tc.word, tc.near, cn, tc.word, tc.far, cf)
		}
	}
}
