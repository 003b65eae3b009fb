package botdef_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func TestTemplate(t *testing.T) {
	vals := map[string]any{"context.a.b": "x", "entities.n": 45000.0, "entities.obj": map[string]any{"k": true}}
	lookup := func(p botdef.Path) (any, bool) { v, ok := vals[p.String()]; return v, ok }
	for _, tc := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"a {{ context.a.b }} b", "a x b", ""},
		{"{{entities.n}}", "45000", ""},
		{"{{entities.obj}}", `{"k":true}`, ""},
		{"{{context.missing}}!", "!", ""},
		{"{{context.list[0].x}}", "", ""},
		{"{{", "", "without"},
		{"}}", "", "without"},
		{"{{ }}", "", "empty"},
		{"{{foo.bar}}", "", "must start with"},
		{"{{context}}", "", "names no variable"},
		{"{{context.a b}}", "", "segment"},
		{"{{context.a[x]}}", "", "not a number"},
	} {
		tpl, err := botdef.ParseTemplate(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := tpl.Render(lookup); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"a {{context.x}}", "{{entities.a[0].b}}", "{{", "}}{{", "{{env.X}}{{task.name}}", "{{context.a[1][2]}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := botdef.ParseTemplate(s)
		if err != nil {
			return
		}
		out := tpl.Render(func(botdef.Path) (any, bool) { return "v", true })
		if tpl.IsLiteral() && out != s {
			t.Fatalf("literal template %q rendered %q", s, out)
		}
		for _, p := range tpl.Paths() {
			if _, err := botdef.ParsePath(p.String()); err != nil && !strings.Contains(s, "[") {
				t.Fatalf("path %q from %q does not re-parse: %v", p, s, err)
			}
		}
	})
}
