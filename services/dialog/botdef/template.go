package botdef

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Template is a parsed text with {{path}} references, for example
// "You have {{context.balance}} in your {{entities.account}} account.".
// Parsing happens once, at load; rendering does not allocate beyond the
// result.
type Template struct {
	src   string
	parts []tmplPart
}

type tmplPart struct {
	lit  string
	path Path // nil for a literal part
}

// Path is a reference split into segments; the first is the root:
// context, entities, env or task.
type Path []string

func (p Path) String() string { return strings.Join(p, ".") }

// Roots a template or condition may refer to.
var templateRoots = map[string]bool{"context": true, "entities": true, "env": true, "task": true}

// maxTemplate bounds what the parser looks at; bot files are trusted
// more than user input, but the parser is also fuzzed and used on values
// that come from outside.
const maxTemplate = 64 << 10

// ParseTemplate parses s. A "{{" without its "}}", an empty reference or an
// unknown root is an error.
func ParseTemplate(s string) (*Template, error) {
	if len(s) > maxTemplate {
		return nil, fmt.Errorf("template longer than %d bytes", maxTemplate)
	}
	t := &Template{src: s}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, errors.New("\"}}\" without \"{{\"")
			}
			if rest != "" {
				t.parts = append(t.parts, tmplPart{lit: rest})
			}
			return t, nil
		}
		if strings.Contains(rest[:i], "}}") {
			return nil, errors.New("\"}}\" without \"{{\"")
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{lit: rest[:i]})
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, errors.New("\"{{\" without \"}}\"")
		}
		expr := strings.TrimSpace(rest[:j])
		if strings.Contains(expr, "{{") {
			return nil, errors.New("nested \"{{\"")
		}
		p, err := ParsePath(expr)
		if err != nil {
			return nil, fmt.Errorf("{{%s}}: %w", expr, err)
		}
		t.parts = append(t.parts, tmplPart{path: p})
		rest = rest[j+2:]
	}
}

// ParsePath parses a dotted reference such as context.a.b[0].c or
// entities.amount.amount. The root must be context, entities, env or task.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, errors.New("empty reference")
	}
	var p Path
	for _, seg := range strings.Split(s, ".") {
		// a[0][1] becomes a, 0, 1
		indexed := false
		for {
			k := strings.IndexByte(seg, '[')
			if k < 0 {
				break
			}
			end := strings.IndexByte(seg[k:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", s)
			}
			head, idx := seg[:k], seg[k+1:k+end]
			if head != "" {
				p = append(p, head)
			} else if len(p) == 0 {
				return nil, fmt.Errorf("%q starts with an index", s)
			}
			if _, err := strconv.Atoi(idx); err != nil {
				return nil, fmt.Errorf("index %q in %q is not a number", idx, s)
			}
			p = append(p, idx)
			seg = seg[k+end+1:]
			indexed = true
		}
		if seg == "" {
			if indexed {
				continue
			}
			return nil, fmt.Errorf("empty segment in %q", s)
		}
		if !validSegment(seg) {
			return nil, fmt.Errorf("segment %q in %q holds characters other than letters, digits, '_', '-' and '$'", seg, s)
		}
		p = append(p, seg)
	}
	if !templateRoots[p[0]] {
		return nil, fmt.Errorf("%q must start with context, entities, env or task", s)
	}
	if len(p) < 2 {
		return nil, fmt.Errorf("%q names no variable", s)
	}
	return p, nil
}

func validSegment(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '$':
		default:
			return false
		}
	}
	return true
}

// Source returns the text the template was parsed from.
func (t *Template) Source() string { return t.src }

// Paths lists the references of the template.
func (t *Template) Paths() []Path {
	var out []Path
	for _, p := range t.parts {
		if p.path != nil {
			out = append(out, p.path)
		}
	}
	return out
}

// Single returns the path when the template is exactly one reference
// ("{{entities.amount}}"), so that a value keeps its type (number, object)
// where it is used as a value rather than as text.
func (t *Template) Single() (Path, bool) {
	if len(t.parts) == 1 && t.parts[0].path != nil {
		return t.parts[0].path, true
	}
	return nil, false
}

// IsLiteral reports whether the template has no reference.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.path != nil {
			return false
		}
	}
	return true
}

// Render writes the template with each reference replaced by what lookup
// returns; a missing value renders as the empty string.
func (t *Template) Render(lookup func(Path) (any, bool)) string {
	if len(t.parts) == 1 && t.parts[0].path == nil {
		return t.parts[0].lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.path == nil {
			b.WriteString(p.lit)
			continue
		}
		if v, ok := lookup(p.path); ok {
			b.WriteString(Stringify(v))
		}
	}
	return b.String()
}

// Stringify renders a context value as text the way a Kore template does:
// strings as they are, whole numbers without a fraction, objects as JSON.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
