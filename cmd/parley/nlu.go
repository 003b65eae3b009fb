package main

import (
	"io"

	"github.com/parleyhq/parley/services/dialog/botnlu"
	"github.com/parleyhq/parley/nlu/nlucli"
)

// cmdNLU runs Kore's utterance and batch testing tools over the bot's NLU:
// parley nlu eval | test | parse.
func cmdNLU(args []string, stdout, stderr io.Writer) int {
	return nlucli.Run(args, stdout, stderr, botnlu.Load)
}
