package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeLogic, nodeType{compile: compileLogic})
}

// logicNode changes values: each op sets, deletes or copies a context or
// entity path.
type logicNode struct{ ops []logicOp }

type logicOp struct {
	kind  string // set, delete, copy
	path  botdef.Path
	from  botdef.Path
	value value
	ttl   time.Duration
}

func compileLogic(c *nodeCompiler) behaviour {
	if len(c.nd.Ops) == 0 {
		c.add(".ops", "a logic node needs at least one op")
	}
	return &logicNode{ops: c.ops(c.nd.Ops)}
}

func (l *logicNode) exec(r *run, n *node) (string, bool, bool) {
	for _, op := range l.ops {
		op.apply(r)
	}
	return r.next(n), false, false
}

// ops checks and compiles a node's ops (logic and intent nodes have them).
func (c *nodeCompiler) ops(ops []botdef.LogicOp) []logicOp {
	var out []logicOp
	for j, op := range ops {
		out = append(out, c.op(fmt.Sprintf(".ops[%d]", j), op))
	}
	return out
}

func (c *nodeCompiler) op(key string, op botdef.LogicOp) logicOp {
	lo := logicOp{ttl: op.TTL}
	set := 0
	for _, s := range []string{op.Set, op.Delete, op.Copy} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		c.add(key, "needs exactly one of set, delete or copy")
		return lo
	}
	// writable parses a path the op changes.
	writable := func(k, s string) botdef.Path {
		path, err := botdef.ParsePath(s)
		if err != nil {
			c.add(key+"."+k, "%v", err)
			return nil
		}
		if path[0] != "context" && path[0] != "entities" {
			c.add(key+"."+k, "only context.* and entities.* can be changed")
		}
		if len(path) >= 2 && path[0] == "context" && path[1] == "session" && len(path) >= 3 && path[2] == "UserContext" {
			c.add(key+"."+k, "UserContext is read-only")
		}
		return path
	}
	switch {
	case op.Set != "":
		lo.kind = "set"
		lo.path = writable("set", op.Set)
		if op.Value == nil {
			c.add(key+".value", "required")
		}
		lo.value = c.value(key+".value", op.Value)
	case op.Delete != "":
		lo.kind = "delete"
		lo.path = writable("delete", op.Delete)
	case op.Copy != "":
		lo.kind = "copy"
		var err error
		if lo.from, err = botdef.ParsePath(op.Copy); err != nil {
			c.add(key+".copy", "%v", err)
		}
		if op.To == "" {
			c.add(key+".to", "required")
		} else {
			lo.path = writable("to", op.To)
		}
	}
	if op.TTL < 0 {
		c.add(key+".ttl", "must not be negative")
	}
	return lo
}

// errNoValue marks a copy from a missing value.
var errNoValue = errors.New("no value")

func (op logicOp) apply(r *run) {
	switch op.kind {
	case "set":
		r.set(op.path, op.value.eval(r.lookup), op.ttl)
	case "delete":
		r.del(op.path)
	case "copy":
		v, ok := r.lookup(op.from)
		if !ok {
			r.out.Errors = append(r.out.Errors, fmt.Errorf("copy %s: %w", op.from, errNoValue))
			return
		}
		r.set(op.path, deepCopy(v), op.ttl)
	}
}
