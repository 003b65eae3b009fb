package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeMessage, nodeType{compile: compileMessage})
}

// messageNode says its messages and goes on.
type messageNode struct{ msgs []value }

func compileMessage(c *nodeCompiler) behaviour {
	if len(c.nd.Messages) == 0 {
		c.add(".messages", "a message node needs at least one message")
	}
	return &messageNode{msgs: c.messages()}
}

func (m *messageNode) exec(r *run, n *node) (string, bool, bool) {
	r.emit(m.msgs)
	return r.next(n), false, false
}

// Known Kore template types a message node may emit; other "type" values
// (image, error, message, ...) are passed through as they are.
var templateTypes = []string{
	"button", "quick_replies", "list", "carousel", "attachment", "feedbackTemplate", "piechart",
	"linechart", "barchart", "table", "mini_table", "dropdown_template", "like_dislike", "multi_select",
}

// messages checks and compiles a node's messages, each a text or a Kore
// template object (message and agent transfer nodes).
func (c *nodeCompiler) messages() []value {
	var out []value
	for j, m := range c.nd.Messages {
		key := fmt.Sprintf(".messages[%d]", j)
		switch x := m.(type) {
		case string:
			out = append(out, c.value(key, x))
		case map[string]any:
			c.messageTemplate(key, x)
			out = append(out, c.value(key, x))
		default:
			c.add(key, "a message is a text or a template object")
		}
	}
	return out
}

func (c *nodeCompiler) messageTemplate(key string, m map[string]any) {
	typ, _ := m["type"].(string)
	if typ == "" {
		c.add(key+".type", "a template object needs a type (Kore: template, image, error, message, ...)")
	}
	if typ == "template" {
		payload, _ := m["payload"].(map[string]any)
		tt, _ := payload["template_type"].(string)
		if !slices.Contains(templateTypes, tt) {
			c.add(key+".payload.template_type", "unknown template type %q (known: %s)", tt, strings.Join(templateTypes, ", "))
		}
	}
}
