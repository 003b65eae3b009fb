package engine

import "github.com/parleyhq/parley/services/dialog/botdef"

func init() {
	registerNode(botdef.NodeDialog, nodeType{compile: compileDialog})
}

// dialogNode starts another task (Kore's linked dialog) with the entities
// it assigns: by default this task waits at the node and goes on from its
// transitions once the linked task is fulfilled, otherwise it ends first.
type dialogNode struct {
	pre value // the linked task's entities
}

// compileDialog checks a link to another task: the task exists, and the
// entities named by pre and post are entity nodes of it.
func compileDialog(c *nodeCompiler) behaviour {
	nd := c.nd
	d := &dialogNode{}
	target := c.def.Task(nd.Dialog)
	switch {
	case nd.Dialog == "":
		c.add(".dialog", "required: the name of the task to start")
		return d
	case target == nil:
		c.add(".dialog", "no task named %q", nd.Dialog)
		return d
	case target.Name == c.task.def.Name:
		c.add(".dialog", "a task cannot link to itself")
		return d
	}
	entityNodes := map[string]bool{}
	for _, tn := range target.Nodes {
		if tn.Type == botdef.NodeEntity {
			entityNodes[tn.ID] = true
		}
	}
	for _, k := range sortedKeys(nd.Pre) {
		if !entityNodes[k] {
			c.add(".pre."+k, "task %q has no entity node %q", nd.Dialog, k)
		}
	}
	if nd.Pre != nil {
		d.pre = c.value(".pre", map[string]any(nd.Pre))
	}
	for _, k := range sortedKeys(nd.Post) {
		if v := nd.Post[k]; !entityNodes[v] {
			c.add(".post."+k, "task %q has no entity node %q", nd.Dialog, v)
		}
	}
	if nd.Return != nil && !*nd.Return && (nd.Next != "" || len(nd.Transitions) > 0 || len(nd.Post) > 0) {
		c.add("", "a dialog node with return: false ends this task: it has no outgoing connections or post assignments")
	}
	return d
}

// exec starts the linked task.
func (d *dialogNode) exec(r *run, n *node) (string, bool, bool) {
	target := r.b.tasks[n.def.Dialog]
	if target == nil { // validated at load; a guard, not a path
		return r.next(n), false, false
	}
	pre := map[string]any{}
	if d.pre != nil {
		if m, ok := d.pre.eval(r.lookup).(map[string]any); ok {
			for k, v := range m {
				if v != nil {
					pre[k] = v
				}
			}
		}
	}
	if n.def.Return != nil && !*n.def.Return {
		r.finish(EndFulfilled, false)
		d.startLinked(r, target, pre)
		return "", false, true
	}
	fr := r.st.Active
	if ents, ok := r.c["entities"].(map[string]any); ok {
		fr.Entities = ents
	}
	fr.Linked = true
	r.st.Held = append(r.st.Held, fr)
	r.st.Active = nil
	d.startLinked(r, target, pre)
	return "", true, false
}

// startLinked starts the linked task t with the pre-assigned entities.
func (d *dialogNode) startLinked(r *run, t *task, pre map[string]any) {
	r.st.Active = &Frame{Task: t.def.Name, Node: t.start}
	r.c["entities"] = pre
	r.c["taskid"] = t.def.ID
	r.walk(t.start)
}

// returnFromLink resumes the task that waited at a dialog node: its
// entities come back, the node's post assignments copy the linked task's
// values in, and the node's transitions choose what follows.
func (r *run) returnFromLink(parent *Frame, child map[string]any) {
	t := r.b.tasks[parent.Task]
	if t == nil {
		return
	}
	ents := parent.Entities
	if ents == nil {
		ents = map[string]any{}
	}
	parent.Entities, parent.Linked = nil, false
	n := t.nodes[parent.Node]
	if n != nil && n.def.Type == botdef.NodeDialog {
		for mine, theirs := range n.def.Post {
			if v, ok := child[theirs]; ok {
				ents[mine] = v
			}
		}
	}
	r.st.Active = parent
	r.c["entities"] = ents
	r.c["taskid"] = t.def.ID
	if n == nil {
		return
	}
	r.walk(r.next(n))
}
