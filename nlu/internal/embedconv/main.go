// Command embedconv converts GloVe-style word vectors into Parley's quantised
// vector file (package embed). It reads either GloVe's text format (one
// "word v1 v2 …" line per word, most frequent first) or the JSON layout of
// the wink-embeddings npm packages (the 100-d GloVe 6B vectors), keeps the
// first -words lower-case alphabetic words, and writes the result.
//
//	go run ./nlu/internal/embedconv -in glove.6B.100d.txt -words 100000 -out nlu/embed/glove100k.vec.gz
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/nlu/embed"
)

var wordShape = regexp.MustCompile(`^[a-z][a-z']*$`)

func main() {
	in := flag.String("in", "", "GloVe text file or wink-embeddings JSON file")
	out := flag.String("out", "", "output file")
	limit := flag.Int("words", 100000, "number of words to keep, most frequent first")
	flag.Parse()
	if err := run(*in, *out, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "embedconv:", err)
		os.Exit(1)
	}
}

func run(in, out string, limit int) error {
	if in == "" || out == "" {
		return fmt.Errorf("-in and -out are required")
	}
	var words []string
	var vecs [][]float32
	var err error
	if strings.HasSuffix(in, ".json") {
		words, vecs, err = readWink(in, limit)
	} else {
		words, vecs, err = readText(in, limit)
	}
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := embed.Write(f, words, vecs); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(os.Stderr, "embedconv: %d words × %d dims\n", len(words), len(vecs[0]))
	return f.Close()
}

// readWink reads {"dimensions": d, "words": [...], "vectors": {word: [d values, norm, index]}}.
func readWink(path string, limit int) ([]string, [][]float32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		Dimensions int                  `json:"dimensions"`
		Words      []string             `json:"words"`
		Vectors    map[string][]float32 `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", path, err)
	}
	var words []string
	var vecs [][]float32
	for _, w := range doc.Words {
		if len(words) == limit {
			break
		}
		v := doc.Vectors[w]
		if !wordShape.MatchString(w) || len(v) < doc.Dimensions {
			continue
		}
		words = append(words, w)
		vecs = append(vecs, v[:doc.Dimensions])
	}
	return words, vecs, nil
}

func readText(path string, limit int) ([]string, [][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var words []string
	var vecs [][]float32
	for sc.Scan() && len(words) < limit {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !wordShape.MatchString(fields[0]) {
			continue
		}
		v := make([]float32, len(fields)-1)
		for i, s := range fields[1:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: word %q: %w", path, fields[0], err)
			}
			v[i] = float32(x)
		}
		words = append(words, fields[0])
		vecs = append(vecs, v)
	}
	return words, vecs, sc.Err()
}
