package engine_test

import (
	"testing"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// BenchmarkTurn is one two-turn conversation per op (start a task and get
// the prompt; answer, fill the entity, transition, render a message): no
// I/O, the fallback recognizer.
func BenchmarkTurn(b *testing.B) {
	bot := botForBench(b)
	b.ReportAllocs()
	for b.Loop() {
		st := engine.State{}
		ctx := map[string]any{}
		bot.Run(b.Context(), engine.Input{Text: "paint", Context: ctx, State: &st})
		bot.Run(b.Context(), engine.Input{Text: "blue", Context: ctx, State: &st})
	}
}

// BenchmarkHops walks a 25-node logic chain in one turn; ns/op divided by
// 25 is the cost of one node hop.
func BenchmarkHops(b *testing.B) {
	bot := botForBench(b)
	b.ReportAllocs()
	for b.Loop() {
		st := engine.State{}
		bot.Run(b.Context(), engine.Input{Text: "loop forever", Context: map[string]any{}, State: &st})
	}
}
