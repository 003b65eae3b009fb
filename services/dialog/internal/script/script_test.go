package script

import (
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

type scopes map[string]any

func (s scopes) env(ctx map[string]any) *engine.ScriptEnv {
	return &engine.ScriptEnv{
		Context: ctx,
		Get:     func(k engine.ScopeKind, key string) any { return s[string(k)+"."+key] },
		Put:     func(k engine.ScopeKind, key string, v any, _ time.Duration) { s[string(k)+"."+key] = v },
		Delete:  func(k engine.ScopeKind, key string) { delete(s, string(k)+"."+key) },
	}
}

// runCase is one script of TestRun: check inspects a successful run,
// wantErr is the error a stopped run returns, and with neither the run
// must fail without changing the context.
type runCase struct {
	name, src string
	check     func(t *testing.T, ctx map[string]any, sc scopes)
	wantErr   error
}

var runCases = []runCase{
	{"mutates context", `context.total = context.entities.amount.amount * 2; context.tags = ["a"];`,
		func(t *testing.T, ctx map[string]any, _ scopes) {
			if ctx["total"] != 1000.0 {
				t.Errorf("total = %v", ctx["total"])
			}
		}, nil},
	{"scopes", `BotContext.put("visits", (BotContext.get("visits") || 0) + 1); UserSession.delete("gone");`,
		func(t *testing.T, _ map[string]any, sc scopes) {
			if sc["BotContext.visits"] != 4.0 {
				t.Errorf("visits = %v", sc["BotContext.visits"])
			}
			if _, ok := sc["UserSession.gone"]; ok {
				t.Error("delete did nothing")
			}
		}, nil},
	{"infinite loop", `while (true) {}`, nil, ErrTimeout},
	{"memory hog", `var a = []; while (true) { a.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + a.length); }`, nil, ErrMemory},
	{"deep recursion", `function f(n) { return f(n + 1); } f(0);`, nil, nil},
	{"no require", `require("fs")`, nil, nil},
	{"throws", `throw new Error("boom")`, nil, nil},
}

func TestRun(t *testing.T) {
	r := New(Config{})
	for _, tc := range runCases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, r, tc) })
	}
}

// checkRun compiles and runs the script of tc against fresh scopes and
// checks the outcome.
func checkRun(t *testing.T, r *Runner, tc runCase) {
	limit := 300 * time.Millisecond
	if errors.Is(tc.wantErr, ErrMemory) {
		// Only the memory budget may stop it, however slow the
		// machine (the race detector, a loaded CI).
		limit = 20 * time.Second
	}
	s, err := r.Compile(tc.name, tc.src, limit)
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string]any{"entities": map[string]any{"amount": map[string]any{"amount": 500.0}}}
	sc := scopes{"BotContext.visits": 3.0, "UserSession.gone": 1.0}
	env := sc.env(ctx)
	err = s.Run(t.Context(), env)
	switch {
	case tc.check != nil:
		if err != nil {
			t.Fatal(err)
		}
		tc.check(t, env.Context, sc)
	case tc.wantErr != nil:
		if !errors.Is(err, tc.wantErr) {
			t.Fatalf("err = %v, want %v", err, tc.wantErr)
		}
	default:
		if err == nil {
			t.Fatal("want an error")
		}
		if env.Context["entities"] == nil {
			t.Fatal("a failed run changed the context")
		}
	}
}

func TestCompileErrors(t *testing.T) {
	r := New(Config{})
	if _, err := r.Compile("bad", "var = ;", 0); err == nil {
		t.Fatal("syntax error accepted")
	}
	big := make([]byte, maxSource+1)
	for i := range big {
		big[i] = ' '
	}
	if _, err := r.Compile("big", string(big), 0); err == nil {
		t.Fatal("oversized script accepted")
	}
}
