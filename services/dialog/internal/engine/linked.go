package engine

import "github.com/parleyhq/parley/services/dialog/botdef"

// linkDialog runs a dialog node (Kore's linked dialog): the linked task
// starts with the entities the node assigns; by default this task waits
// at the node and goes on from its transitions once the linked task is
// fulfilled, otherwise it ends first.
func (r *run) linkDialog(n *node) (next string, wait, done bool) {
	target := r.b.tasks[n.def.Dialog]
	if target == nil { // validated at load; a guard, not a path
		return r.next(n), false, false
	}
	pre := map[string]any{}
	if n.pre != nil {
		if m, ok := n.pre.eval(r.lookup).(map[string]any); ok {
			for k, v := range m {
				if v != nil {
					pre[k] = v
				}
			}
		}
	}
	if n.def.Return != nil && !*n.def.Return {
		r.finish(EndFulfilled, false)
		r.startLinked(target, pre)
		return "", false, true
	}
	fr := r.st.Active
	if ents, ok := r.c["entities"].(map[string]any); ok {
		fr.Entities = ents
	}
	fr.Linked = true
	r.st.Held = append(r.st.Held, fr)
	r.st.Active = nil
	r.startLinked(target, pre)
	return "", true, false
}

func (r *run) startLinked(t *task, pre map[string]any) {
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
