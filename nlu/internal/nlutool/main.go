// Command nlutool is a development build of `parley nlu` (package nlucli)
// so the NLU can be evaluated before the main binary wires it in. It loads
// a bot from DIR/nlu.json, a JSON-encoded nlu.TrainingData.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/nlu/nlucli"
)

func main() {
	os.Exit(nlucli.Run(os.Args[1:], os.Stdout, os.Stderr, loadBot))
}

func loadBot(dir string) (nlu.TrainingData, error) {
	var td nlu.TrainingData
	b, err := os.ReadFile(filepath.Join(dir, "nlu.json"))
	if err != nil {
		return td, fmt.Errorf("read bot: %w", err)
	}
	if err := json.Unmarshal(b, &td); err != nil {
		return td, fmt.Errorf("decode %s: %w", filepath.Join(dir, "nlu.json"), err)
	}
	return td, nil
}
