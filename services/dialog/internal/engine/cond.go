package engine

import (
	"strconv"
	"strings"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// holds evaluates a transition's conditions.
func (r *run) holds(tr transition) bool {
	if len(tr.conds) == 0 {
		return false
	}
	for _, c := range tr.conds {
		ok := r.cond(c)
		if tr.or && ok {
			return true
		}
		if !tr.or && !ok {
			return false
		}
	}
	return !tr.or
}

func (r *run) cond(c condition) bool {
	var lhs any
	var found bool
	if c.intent {
		var list []any
		if fu, ok := r.c["FollowupIntents"].([]any); ok {
			list = append(list, fu...)
		}
		if in, ok := walkValue(r.c, []string{"intent", "name"}); ok {
			list = append(list, in)
		}
		lhs, found = list, len(list) > 0
	} else {
		lhs, found = r.lookup(c.lhs)
	}
	rhs := c.value
	if c.valuePth != nil {
		rhs, _ = r.lookup(c.valuePth)
	}
	return Compare(c.op, lhs, found, rhs)
}

// Compare applies a transition operator. Numbers (and numeric strings, and
// Kore currency objects by their amount) compare as numbers; other values
// compare as text, case-insensitively for equality.
func Compare(op string, lhs any, found bool, rhs any) bool {
	present := found && lhs != nil && lhs != ""
	switch op {
	case "exists":
		return present
	case "not_exists":
		return !present
	}
	if !present {
		return op == "!="
	}
	if op == "contains" {
		return contains(lhs, rhs)
	}
	if op == "=" || op == "!=" {
		if list, ok := lhs.([]any); ok {
			eq := false
			for _, e := range list {
				eq = eq || equal(e, rhs)
			}
			return eq == (op == "=")
		}
		return equal(lhs, rhs) == (op == "=")
	}
	ln, lok := number(lhs)
	rn, rok := number(rhs)
	var cmp int
	switch {
	case lok && rok:
		switch {
		case ln < rn:
			cmp = -1
		case ln > rn:
			cmp = 1
		}
	case !lok && !rok:
		cmp = strings.Compare(botdef.Stringify(lhs), botdef.Stringify(rhs))
	default:
		return false
	}
	switch op {
	case "<":
		return cmp < 0
	case ">":
		return cmp > 0
	case "<=":
		return cmp <= 0
	case ">=":
		return cmp >= 0
	}
	return false
}

func equal(a, b any) bool {
	an, aok := number(a)
	bn, bok := number(b)
	if aok && bok {
		return an == bn
	}
	return strings.EqualFold(botdef.Stringify(a), botdef.Stringify(b))
}

func contains(lhs, rhs any) bool {
	switch x := lhs.(type) {
	case []any:
		for _, e := range x {
			if equal(e, rhs) {
				return true
			}
		}
		return false
	case map[string]any:
		_, ok := x[botdef.Stringify(rhs)]
		return ok
	default:
		return strings.Contains(strings.ToLower(botdef.Stringify(lhs)), strings.ToLower(botdef.Stringify(rhs)))
	}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case map[string]any:
		if a, ok := x["amount"]; ok {
			return number(a)
		}
	}
	return 0, false
}
