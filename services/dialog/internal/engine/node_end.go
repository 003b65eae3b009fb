package engine

import (
	"fmt"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeEnd, nodeType{compile: compileEnd})
}

// endNode says its messages, if any, and ends the task as fulfilled.
type endNode struct{ msgs []value }

func compileEnd(c *nodeCompiler) behaviour {
	if c.nd.Next != "" || len(c.nd.Transitions) > 0 {
		c.add("", "an end node has no outgoing connections")
	}
	var msgs []value
	for j, m := range c.nd.Messages {
		msgs = append(msgs, c.value(fmt.Sprintf(".messages[%d]", j), m))
	}
	return &endNode{msgs: msgs}
}

func (e *endNode) exec(r *run, _ *node) (string, bool, bool) {
	r.emit(e.msgs)
	r.finish(EndFulfilled, true)
	return "", false, true
}
