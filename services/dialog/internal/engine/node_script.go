package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeScript, nodeType{compile: compileScript})
}

// scriptNode runs JavaScript through the ScriptRunner port: the script
// sees and may change the context and the shared scopes; a failure goes
// to on_failure.
type scriptNode struct{ script Script }

func compileScript(c *nodeCompiler) behaviour {
	nd := c.nd
	s := &scriptNode{}
	if strings.TrimSpace(nd.Script) == "" {
		c.add(".script", "required")
	}
	if len(nd.Script) > 64<<10 {
		c.add(".script", "longer than 64 KiB")
	}
	if nd.Timeout != 0 && (nd.Timeout < 10*time.Millisecond || nd.Timeout > time.Second) {
		c.add(".timeout", "must be between 10ms and 1s (default 100ms)")
	}
	if c.checking {
		return s
	}
	if c.opts.Scripts == nil {
		c.add("", "script nodes need a script runner")
		return s
	}
	timeout := nd.Timeout
	if timeout == 0 {
		timeout = 100 * time.Millisecond
	}
	var err error
	if s.script, err = c.opts.Scripts.Compile(nd.ID, nd.Script, timeout); err != nil {
		c.add("", "script: %v", err)
	}
	return s
}

func (s *scriptNode) exec(r *run, n *node) (string, bool, bool) {
	if err := s.run(r, n); err != nil {
		r.out.Errors = append(r.out.Errors, err)
		return r.onFailure(n)
	}
	return r.next(n), false, false
}

func (s *scriptNode) run(r *run, n *node) error {
	// Writes to the session's own BotUserSession must land in the context
	// the script hands back, so they are replayed after the copy-back.
	var later []func()
	local := map[string]scopeVal{}
	env := &ScriptEnv{
		Context: r.c,
		Get: func(kind ScopeKind, key string) any {
			if sv, ok := local[scopeKey(kind, key)]; ok {
				return sv.v
			}
			v, _ := r.scopeGet(kind, key)
			return v
		},
		Put: func(kind ScopeKind, key string, v any, ttl time.Duration) {
			local[scopeKey(kind, key)] = scopeVal{v: v}
			later = append(later, func() { r.scopePut(kind, key, v, ttl) })
		},
		Delete: func(kind ScopeKind, key string) {
			local[scopeKey(kind, key)] = scopeVal{deleted: true}
			later = append(later, func() { r.scopeDelete(kind, key) })
		},
	}
	if err := s.script.Run(r.ctx, env); err != nil {
		return fmt.Errorf("script %s: %w", n.def.ID, err)
	}
	if env.Context != nil {
		for k := range r.c {
			if _, ok := env.Context[k]; !ok {
				delete(r.c, k)
			}
		}
		for k, v := range env.Context {
			r.c[k] = v
		}
	}
	for _, f := range later {
		f()
	}
	return nil
}
