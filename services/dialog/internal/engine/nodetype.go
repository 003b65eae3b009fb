package engine

import "github.com/parleyhq/parley/services/dialog/botdef"

// Node types. Each node_<type>.go file registers one: how the compile step
// checks and compiles a node's own keys, and what the walker does with the
// compiled node. The compiler and the walker reach node-specific behaviour
// only through this registry, so the engine learns a new node type from one
// new file (the format names it too: botdef.NodeTypes, FORMAT.md and the
// task schema).

// nodeType is one registered type of node.
type nodeType struct {
	// compile checks the type's keys of the node and compiles them; the
	// problems go to c.
	compile func(c *nodeCompiler) behaviour
	// entry: the user's words enter the node (a sub-intent), so no
	// transition needs to lead to it.
	entry bool
	// answered: the node keeps the user's answer at entities.<node id>,
	// which the task's conditions may test.
	answered bool
}

// nodeTypes are the registered types by name; a missing name is the zero
// nodeType.
var nodeTypes = map[string]nodeType{}

// registerNode adds a node type; each node_<type>.go calls it from init.
func registerNode(name string, t nodeType) {
	if _, dup := nodeTypes[name]; dup {
		panic("engine: node type " + name + " is registered twice")
	}
	nodeTypes[name] = t
}

// behaviour is what a node's type compiled of it. exec runs the node when
// the walk reaches it: next is the node that follows, wait means the node
// asked the user, done that the task ended.
type behaviour interface {
	exec(r *run, n *node) (next string, wait, done bool)
}

// waiter is a node that waits for the user's answer.
type waiter interface {
	// ask prompts for the answer; the node is already the waiting one.
	ask(r *run, n *node)
	// answer takes the user's reply.
	answer(r *run, n *node, text string)
}

// interruptible is a waiting node with its own reading of an answer that
// is also another task's intent; a node without one yields to the intent.
type interruptible interface {
	interruptedBy(r *run, n *node, text string, rec Recognition) bool
}

// formTaker is a waiting node that takes a digital form's submission.
type formTaker interface {
	submit(r *run, n *node, sub *FormSubmission)
}

// prompts are the compiled prompt and error prompt of a node that asks.
type prompts struct {
	prompt, errPrompt *botdef.Template
}

// prompts checks and compiles the keys every asking node has: prompt,
// error_prompt and retries.
func (c *nodeCompiler) prompts(required bool) prompts {
	var p prompts
	nd := c.nd
	if nd.Prompt == "" && required {
		c.add(".prompt", "required")
	}
	if nd.Prompt != "" {
		p.prompt = c.template(".prompt", nd.Prompt)
	}
	if nd.ErrorPrompt != "" {
		p.errPrompt = c.template(".error_prompt", nd.ErrorPrompt)
	}
	if nd.Retries != 0 && (nd.Retries < 1 || nd.Retries > 10) {
		c.add(".retries", "must be between 1 and 10 (default 5)")
	}
	return p
}
