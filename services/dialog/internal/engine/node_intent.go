package engine

import "github.com/parleyhq/parley/services/dialog/botdef"

func init() {
	registerNode(botdef.NodeIntent, nodeType{compile: compileIntent, entry: true})
}

// intentNode is a task's root, or a sub-intent entry: when its intent is
// recognised while the task waits, the dialog jumps to it. Its ops, if it
// has any, run as a logic node's do.
type intentNode struct{ ops []logicOp }

func compileIntent(c *nodeCompiler) behaviour {
	nd := c.nd
	if nd.ID != c.task.start {
		c.subIntentUse[nd.Intent] = true
		c.task.subIntents[nd.Intent] = nd.ID
	}
	if nd.Intent == "" {
		c.add(".intent", "required")
	} else if !c.intents[nd.Intent] {
		c.add(".intent", "no intent named %q in bot.yaml", nd.Intent)
	}
	if c.isStart && len(nd.Transitions) > 0 {
		c.add(".transitions", "the root intent node has no conditional transitions, only next (Kore)")
	}
	return &intentNode{ops: c.ops(nd.Ops)}
}

func (in *intentNode) exec(r *run, n *node) (string, bool, bool) {
	for _, op := range in.ops {
		op.apply(r)
	}
	return r.next(n), false, false
}
