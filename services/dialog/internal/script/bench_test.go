package script

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

func BenchmarkRun(b *testing.B) {
	s, err := New(Config{}).Compile("b", `context.x = (context.n || 0) + 1;`, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		env := &engine.ScriptEnv{Context: map[string]any{"n": 1.0}, Get: func(engine.ScopeKind, string) any { return nil },
			Put: func(engine.ScopeKind, string, any, time.Duration) {}, Delete: func(engine.ScopeKind, string) {}}
		if err := s.Run(b.Context(), env); err != nil {
			b.Fatal(err)
		}
	}
}
