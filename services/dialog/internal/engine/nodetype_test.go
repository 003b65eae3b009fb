package engine

import (
	"slices"
	"testing"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// The format's node types and the engine's registry are the same list:
// every type the format names has its node_<type>.go, and no file
// registers a type the format does not know.
func TestNodeTypesAreRegistered(t *testing.T) {
	for _, name := range botdef.NodeTypes {
		if nt, ok := nodeTypes[name]; !ok || nt.compile == nil {
			t.Errorf("node type %q is not registered", name)
		}
	}
	for name := range nodeTypes {
		if !slices.Contains(botdef.NodeTypes, name) {
			t.Errorf("node type %q is registered but not in botdef.NodeTypes", name)
		}
	}
}
