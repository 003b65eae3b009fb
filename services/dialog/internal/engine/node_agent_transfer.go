package engine

import (
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeAgentTransfer, nodeType{compile: compileAgentTransfer})
}

// agentTransferNode hands the conversation to a live agent: it says its
// messages (or messages.agent_transfer), asks for the handoff and ends
// the task, dropping the held ones.
type agentTransferNode struct{ msgs []value }

func compileAgentTransfer(c *nodeCompiler) behaviour {
	msgs := c.messages()
	if c.nd.Next != "" || len(c.nd.Transitions) > 0 {
		c.add("", "an agent transfer ends the dialog: it has no outgoing connections")
	}
	return &agentTransferNode{msgs: msgs}
}

func (a *agentTransferNode) exec(r *run, n *node) (string, bool, bool) {
	if len(a.msgs) > 0 {
		r.emit(a.msgs)
	} else {
		r.std("agent_transfer", nil)
	}
	t := r.task()
	r.out.Handoff = &Handoff{TaskID: t.def.ID, TaskName: t.def.Name, NodeID: n.def.ID, Queue: n.def.Queue}
	hist, _ := r.c["history"].([]any)
	r.c["history"] = append(hist, map[string]any{"dialogState": "transferredToAgent", "nodeId": n.def.ID, "timestamp": r.in.Now.UTC().Format(time.RFC3339Nano)})
	r.st.Held = nil
	r.finish(EndFulfilled, false)
	return "", false, true
}
