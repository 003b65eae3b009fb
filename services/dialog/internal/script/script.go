// Package script runs Script nodes in a JavaScript sandbox (goja).
//
// Why goja rather than expr: Kore's script nodes are JavaScript that
// mutate the context (context.x = ..., BotUserSession.put(...)), so bots
// migrated from Kore keep working; expr is an expression language with no
// assignment. goja is a pure-Go interpreter with no file system, network,
// timers or require unless the host adds them, and it can be interrupted
// from another goroutine, which gives the hard time limit.
//
// Limits: a wall-clock deadline per run (vm.Interrupt), a call-stack depth
// limit, a source size limit, and a memory budget. goja cannot account
// allocations per VM, so the budget watches the process's cumulative heap
// allocations (runtime/metrics) while the script runs and interrupts it
// when they grow past the budget; under concurrent load this over-counts,
// which errs on the side of stopping scripts, never of letting one run
// away. The context goes in and out as JSON, so a script sees plain
// objects and a failed run leaves the context untouched.
package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/metrics"
	"time"

	"github.com/dop251/goja"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// Config of the runner.
type Config struct {
	// MaxAlloc is the memory budget of one run (default 32 MiB).
	MaxAlloc uint64
	// MaxStack is the call-stack depth (default 256).
	MaxStack int
}

// Runner compiles and runs scripts.
type Runner struct{ cfg Config }

// New returns a runner.
func New(cfg Config) *Runner {
	if cfg.MaxAlloc == 0 {
		cfg.MaxAlloc = 32 << 20
	}
	if cfg.MaxStack == 0 {
		cfg.MaxStack = 256
	}
	return &Runner{cfg: cfg}
}

// Errors a run can end with.
var (
	ErrTimeout = errors.New("script exceeded its time limit")
	ErrMemory  = errors.New("script exceeded its memory budget")
)

const maxSource = 64 << 10

// Compile implements engine.ScriptRunner.
func (r *Runner) Compile(name, src string, timeout time.Duration) (engine.Script, error) {
	if len(src) > maxSource {
		return nil, fmt.Errorf("script %s is longer than %d bytes", name, maxSource)
	}
	// Wrapping in a function gives the script its own scope and lets it
	// return early.
	prog, err := goja.Compile(name, "(function(){\n"+src+"\n})()", false)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	if timeout <= 0 {
		timeout = 100 * time.Millisecond
	}
	return &compiled{r: r, prog: prog, timeout: timeout}, nil
}

type compiled struct {
	r       *Runner
	prog    *goja.Program
	timeout time.Duration
}

type interrupt struct{ err error }

// Run implements engine.Script.
func (c *compiled) Run(ctx context.Context, env *engine.ScriptEnv) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("script panicked: %v", p)
		}
	}()
	data, err := json.Marshal(env.Context)
	if err != nil {
		return fmt.Errorf("encode context: %w", err)
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(c.r.cfg.MaxStack)
	vm.SetFieldNameMapper(goja.UncapFieldNameMapper())
	// JSON.parse is much cheaper than compiling the context as source.
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	ctxVal, err := parse(goja.Undefined(), vm.ToValue(string(data)))
	if err != nil {
		return fmt.Errorf("load context: %w", err)
	}
	if err := vm.Set("context", ctxVal); err != nil {
		return err
	}
	for _, kind := range []engine.ScopeKind{engine.ScopeEnterprise, engine.ScopeBot, engine.ScopeUserSession, engine.ScopeBotUser} {
		if err := vm.Set(string(kind), scopeObject(vm, env, kind)); err != nil {
			return err
		}
	}
	user := map[string]any{"get": func(key string) any {
		obj := ctxVal.ToObject(vm).Get("session")
		if obj == nil || goja.IsUndefined(obj) || goja.IsNull(obj) {
			return nil
		}
		uc := obj.ToObject(vm).Get("UserContext")
		if uc == nil || goja.IsUndefined(uc) || goja.IsNull(uc) {
			return nil
		}
		return uc.ToObject(vm).Get(key).Export()
	}}
	_ = vm.Set("UserContext", user)
	_ = vm.Set("console", map[string]any{"log": func(...any) {}})

	done := make(chan struct{})
	defer close(done)
	go c.watch(ctx, vm, done)
	if _, err := vm.RunProgram(c.prog); err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			if in, ok := ie.Value().(interrupt); ok {
				return in.err
			}
		}
		return fmt.Errorf("run: %w", err)
	}
	out, err := vm.RunString("JSON.stringify(context)")
	if err != nil {
		return fmt.Errorf("read context back: %w", err)
	}
	var next map[string]any
	if err := json.Unmarshal([]byte(out.String()), &next); err != nil {
		return fmt.Errorf("script left a context that is not an object: %w", err)
	}
	env.Context = next
	return nil
}

// watch interrupts the VM at the deadline, on cancellation, or when the
// heap allocations since the start exceed the budget.
func (c *compiled) watch(ctx context.Context, vm *goja.Runtime, done <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	start := sample[0].Value.Uint64()
	deadline := time.NewTimer(c.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			vm.Interrupt(interrupt{ctx.Err()})
			return
		case <-deadline.C:
			vm.Interrupt(interrupt{ErrTimeout})
			return
		case <-tick.C:
			metrics.Read(sample)
			if sample[0].Value.Uint64()-start > c.r.cfg.MaxAlloc {
				vm.Interrupt(interrupt{ErrMemory})
				return
			}
		}
	}
}

// scopeObject is BotContext & co: get(key), put(key, value, ttlMinutes),
// delete(key), Kore's API.
func scopeObject(vm *goja.Runtime, env *engine.ScriptEnv, kind engine.ScopeKind) map[string]any {
	return map[string]any{
		"get": func(key string) any { return env.Get(kind, key) },
		"put": func(call goja.FunctionCall) goja.Value {
			key := call.Argument(0).String()
			v := normalize(call.Argument(1).Export())
			var ttl time.Duration
			if m := call.Argument(2); !goja.IsUndefined(m) && !goja.IsNull(m) {
				ttl = time.Duration(m.ToFloat() * float64(time.Minute))
			}
			env.Put(kind, key, v, ttl)
			return goja.Undefined()
		},
		"delete": func(key string) { env.Delete(kind, key) },
	}
}

// normalize turns exported JS values into JSON-shaped Go values.
func normalize(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return nil
	}
	return out
}

var _ engine.ScriptRunner = (*Runner)(nil)
