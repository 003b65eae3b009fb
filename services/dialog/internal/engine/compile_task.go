package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// The compile step's task parts: the node graph, the transitions and
// their conditions. Each node's own keys are its type's (nodetype.go).

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

type transition struct {
	conds []condition
	or    bool
	to    string
	final bool // the else branch
}

type condition struct {
	lhs      botdef.Path // entity or context
	intent   bool
	op       string
	value    any
	valuePth botdef.Path
}

// task checks and compiles one task.
func (c *compiler) task(td *botdef.Task) {
	f := td.File
	t := &task{def: td, nodes: map[string]*node{}, start: td.StartNode(), subIntents: map[string]string{}, interrupt: td.Interruptions}
	c.bot.tasks[td.Name] = t
	if td.Name == "" {
		c.add(f, "name", "required")
	}
	if td.ID == "" {
		c.add(f, "id", "required (Kore uses dg-<uuid>)")
	}
	if len(td.Nodes) == 0 {
		c.add(f, "nodes", "a task needs at least one node")
		return
	}
	c.interruptions(f, "interruptions", td.Interruptions)
	index := map[string]int{}
	for i, n := range td.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		if n.ID == botdef.TargetEnd {
			c.add(f, p+".id", "%q is reserved for the end of dialog", botdef.TargetEnd)
		} else if !nodeIDPattern.MatchString(n.ID) {
			c.add(f, p+".id", "%q must start with a letter and hold only letters, digits and '_'", n.ID)
		}
		if _, dup := index[n.ID]; dup {
			c.add(f, p+".id", "node %q is defined twice", n.ID)
		}
		index[n.ID] = i
	}
	if _, ok := index[t.start]; !ok {
		c.add(f, "start", "no node named %q", t.start)
	}
	for i := range td.Nodes {
		nc := &nodeCompiler{compiler: c, task: t, nd: &td.Nodes[i], index: index, path: fmt.Sprintf("nodes[%d]", i)}
		nc.isStart = i == index[t.start]
		t.nodes[nc.nd.ID] = nc.compile()
	}
	c.reachability(td, index)
}

// nodeCompiler is the compile step at one node of a task.
type nodeCompiler struct {
	*compiler
	task    *task
	nd      *botdef.Node
	index   map[string]int // the task's node ids
	path    string         // nodes[i]
	isStart bool           // the task's start node
}

// add reports a problem at key (".prompt", ".messages[0]", "" for the
// node itself).
func (c *nodeCompiler) add(key, format string, args ...any) {
	c.compiler.add(c.task.def.File, c.path+key, format, args...)
}

func (c *nodeCompiler) template(key, s string) *botdef.Template {
	return c.compiler.template(c.task.def.File, c.path+key, s)
}

func (c *nodeCompiler) value(key string, v any) value {
	return c.compiler.value(c.task.def.File, c.path+key, v)
}

// compile checks the node's common keys, leaves its own to its type, and
// compiles its transitions.
func (c *nodeCompiler) compile() *node {
	nd := c.nd
	n := &node{def: nd, retries: nd.Retries}
	if n.retries == 0 {
		n.retries = 5
	}
	c.interruptions(c.task.def.File, c.path+".interruptions", nd.Interruptions)
	if kind, ok := nodeTypes[nd.Type]; ok {
		n.do = kind.compile(c)
	} else {
		c.add(".type", "unknown node type %q (known: %s)", nd.Type, strings.Join(botdef.NodeTypes, ", "))
	}
	c.target(".next", nd.Next)
	c.target(".yes", nd.Yes)
	c.target(".no", nd.No)
	c.target(".else", nd.Else)
	c.target(".on_failure", nd.OnFailure)
	c.target(".on_retries_exceeded", nd.OnRetriesExceeded)
	if nd.Next != "" && len(nd.Transitions) > 0 {
		c.add(".next", "use either next or transitions, not both")
	}
	if nd.Next != "" {
		n.trans = append(n.trans, transition{to: nd.Next, final: true})
	}
	n.trans = append(n.trans, c.transitions()...)
	return n
}

// target checks that a transition leads to a node of the task or ends
// the dialog.
func (c *nodeCompiler) target(key, to string) {
	if to == "" || to == botdef.TargetEnd {
		return
	}
	if _, ok := c.index[to]; !ok {
		c.add(key, "unknown node %q in a transition", to)
	}
}

func (c *nodeCompiler) transitions() []transition {
	trs := c.nd.Transitions
	if len(trs) == 0 {
		return nil
	}
	var out []transition
	hasElse := false
	for j, tr := range trs {
		tp := fmt.Sprintf(".transitions[%d]", j)
		switch {
		case tr.Else != "":
			if len(tr.If) > 0 || tr.To != "" {
				c.add(tp, "an else branch has no conditions and no to")
			}
			if j != len(trs)-1 {
				c.add(tp, "the else branch must come last")
			}
			hasElse = true
			c.target(tp+".else", tr.Else)
			out = append(out, transition{to: tr.Else, final: true})
		default:
			if len(tr.If) == 0 {
				c.add(tp+".if", "a branch needs conditions (or is the else)")
			}
			if tr.To == "" {
				c.add(tp+".to", "required")
			}
			c.target(tp+".to", tr.To)
			if tr.Join != "" && tr.Join != "and" && tr.Join != "or" {
				c.add(tp+".join", "must be and or or")
			}
			ct := transition{to: tr.To, or: tr.Join == "or"}
			for k, cd := range tr.If {
				ct.conds = append(ct.conds, c.condition(fmt.Sprintf("%s.if[%d]", tp, k), cd))
			}
			out = append(out, ct)
		}
	}
	if !hasElse {
		c.add(".transitions", "a fallback (else) branch is required")
	}
	return out
}

func (c *nodeCompiler) condition(key string, cd botdef.Condition) condition {
	cc := condition{op: cd.Op, value: cd.Value, intent: cd.Intent}
	sides := 0
	if cd.Entity != "" {
		sides++
		found := false
		for _, n := range c.task.def.Nodes {
			found = found || (n.ID == cd.Entity && nodeTypes[n.Type].answered)
		}
		if !found {
			c.add(key+".entity", "no entity or confirmation node %q in this task", cd.Entity)
		}
		cc.lhs = botdef.Path{"entities", cd.Entity}
	}
	if cd.Context != "" {
		sides++
		lhs, err := botdef.ParsePath(botdef.ContextPath(cd.Context))
		if err != nil {
			c.add(key+".context", "%v", err)
		}
		if cd.Entity == "" {
			cc.lhs = lhs
		}
	}
	if cd.Intent {
		sides++
	}
	if sides != 1 {
		c.add(key, "needs exactly one of entity, context or intent")
	}
	if !slices.Contains(botdef.Operators, cd.Op) {
		c.add(key+".op", "unknown operator %q (known: %s)", cd.Op, strings.Join(botdef.Operators, ", "))
	}
	unary := cd.Op == "exists" || cd.Op == "not_exists"
	switch {
	case unary && (cd.Value != nil || cd.ValueFrom != ""):
		c.add(key, "%s takes no value", cd.Op)
	case !unary && cd.Value == nil && cd.ValueFrom == "":
		c.add(key, "%s needs a value or value_from", cd.Op)
	case cd.Value != nil && cd.ValueFrom != "":
		c.add(key, "use value or value_from, not both")
	}
	if cd.ValueFrom != "" {
		var err error
		if cc.valuePth, err = botdef.ParsePath(cd.ValueFrom); err != nil {
			c.add(key+".value_from", "%v", err)
		}
	}
	if cd.Intent && cd.Op != "exists" && cd.Op != "not_exists" && cd.Op != "contains" && cd.Op != "=" {
		c.add(key+".op", "an intent condition takes exists, not_exists, contains or =")
	}
	return cc
}

// reachability reports the nodes no path leads to: from the start, and
// from the nodes the user's words enter (sub-intents).
func (c *compiler) reachability(td *botdef.Task, index map[string]int) {
	start := td.StartNode()
	reached := map[string]bool{}
	var queue []string
	push := func(id string) {
		if _, ok := index[id]; ok && !reached[id] {
			reached[id] = true
			queue = append(queue, id)
		}
	}
	push(start)
	for _, n := range td.Nodes {
		if nodeTypes[n.Type].entry {
			push(n.ID)
		}
	}
	for len(queue) > 0 {
		n := &td.Nodes[index[queue[0]]]
		queue = queue[1:]
		for _, to := range botdef.Targets(n) {
			push(to)
		}
	}
	for i, n := range td.Nodes {
		if !reached[n.ID] {
			c.add(td.File, fmt.Sprintf("nodes[%d]", i), "node %q is unreachable from %q", n.ID, start)
		}
	}
}
