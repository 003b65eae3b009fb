package engine

import (
	"fmt"
	"strconv"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

// lookup resolves a reference: entities.x, context.a.b (the shared scopes
// through the scope port), env.X, task.x.
func (r *run) lookup(p botdef.Path) (any, bool) {
	if len(p) < 2 {
		return nil, false
	}
	switch p[0] {
	case "entities":
		return walkValue(r.c["entities"], p[1:])
	case "env":
		v, ok := r.b.env[p[1]]
		return v, ok
	case "task":
		if v, ok := r.vars[p[1]]; ok {
			return walkValue(v, p[2:])
		}
		if t := r.task(); t != nil {
			switch p[1] {
			case "name":
				return t.def.Name, true
			case "id":
				return t.def.ID, true
			}
		}
		return nil, false
	case "context":
		if len(p) >= 4 && p[1] == "session" {
			if kind, ok := sharedScope(p[2]); ok {
				v, found := r.scopeGet(kind, p[3])
				if !found {
					return nil, false
				}
				return walkValue(v, p[4:])
			}
		}
		return walkValue(r.c, p[1:])
	}
	return nil, false
}

func sharedScope(s string) (ScopeKind, bool) {
	switch ScopeKind(s) {
	case ScopeEnterprise, ScopeBot, ScopeUserSession, ScopeBotUser:
		return ScopeKind(s), true
	}
	return "", false
}

func walkValue(cur any, rest []string) (any, bool) {
	for _, seg := range rest {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				if seg == "length" {
					return float64(len(x)), true
				}
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}

func scopeKey(kind ScopeKind, key string) string { return string(kind) + "\x00" + key }

// scopeGet reads a shared variable: this turn's writes first, then (for
// BotUserSession) the session, then the store.
func (r *run) scopeGet(kind ScopeKind, key string) (any, bool) {
	if sv, ok := r.overlay[scopeKey(kind, key)]; ok {
		return sv.v, !sv.deleted
	}
	if kind == ScopeBotUser {
		if v, ok := walkValue(r.c, []string{"session", string(ScopeBotUser), key}); ok {
			return v, true
		}
	}
	if r.in.Scopes == nil {
		return nil, false
	}
	v, ok, err := r.in.Scopes.Get(r.ctx, kind, key)
	if err != nil {
		r.out.Errors = append(r.out.Errors, fmt.Errorf("read %s.%s: %w", kind, key, err))
		return nil, false
	}
	if r.overlay == nil {
		r.overlay = map[string]scopeVal{}
	}
	r.overlay[scopeKey(kind, key)] = scopeVal{v: v, deleted: !ok}
	return v, ok
}

// scopePut writes a shared variable. BotUserSession values without a TTL
// stay in the session (they end with it, as Kore's do); everything else is
// a ScopeOp for the processor.
func (r *run) scopePut(kind ScopeKind, key string, v any, ttl time.Duration) {
	if kind == ScopeBotUser && ttl == 0 {
		bus := r.sessionMap(string(ScopeBotUser))
		bus[key] = v
		return
	}
	if r.overlay == nil {
		r.overlay = map[string]scopeVal{}
	}
	r.overlay[scopeKey(kind, key)] = scopeVal{v: v}
	r.out.ScopeOps = append(r.out.ScopeOps, ScopeOp{Kind: kind, Key: key, Value: v, TTL: ttl})
}

func (r *run) scopeDelete(kind ScopeKind, key string) {
	if kind == ScopeBotUser {
		delete(r.sessionMap(string(ScopeBotUser)), key)
	}
	if r.overlay == nil {
		r.overlay = map[string]scopeVal{}
	}
	r.overlay[scopeKey(kind, key)] = scopeVal{deleted: true}
	r.out.ScopeOps = append(r.out.ScopeOps, ScopeOp{Kind: kind, Key: key, Delete: true})
}

func (r *run) sessionMap(name string) map[string]any {
	sess, _ := r.c["session"].(map[string]any)
	if sess == nil {
		sess = map[string]any{}
		r.c["session"] = sess
	}
	m, _ := sess[name].(map[string]any)
	if m == nil {
		m = map[string]any{}
		sess[name] = m
	}
	return m
}

// set writes v at p. Shared scopes are written through the scope port by
// their root key (Kore's rule); UserContext is read-only.
func (r *run) set(p botdef.Path, v any, ttl time.Duration) {
	if len(p) < 2 {
		return
	}
	switch p[0] {
	case "entities":
		setPath(r.entities(), p[1:], v)
	case "context":
		if len(p) >= 3 && p[1] == "session" && p[2] == "UserContext" {
			return
		}
		if len(p) >= 4 && p[1] == "session" {
			if kind, ok := sharedScope(p[2]); ok {
				if len(p) > 4 {
					cur, _ := r.scopeGet(kind, p[3])
					root, _ := deepCopy(cur).(map[string]any)
					if root == nil {
						root = map[string]any{}
					}
					setPath(root, p[4:], v)
					v = root
				}
				r.scopePut(kind, p[3], v, ttl)
				return
			}
		}
		if len(p) == 2 && p[1] == "entities" {
			if m, ok := v.(map[string]any); ok {
				r.c["entities"] = m
			}
			return
		}
		setPath(r.c, p[1:], v)
	}
}

func (r *run) del(p botdef.Path) {
	if len(p) < 2 {
		return
	}
	switch p[0] {
	case "entities":
		delPath(r.entities(), p[1:])
	case "context":
		if len(p) >= 3 && p[1] == "session" && p[2] == "UserContext" {
			return
		}
		if len(p) >= 4 && p[1] == "session" {
			if kind, ok := sharedScope(p[2]); ok {
				if len(p) == 4 {
					r.scopeDelete(kind, p[3])
					return
				}
				cur, _ := r.scopeGet(kind, p[3])
				root, _ := deepCopy(cur).(map[string]any)
				if root != nil {
					delPath(root, p[4:])
					r.scopePut(kind, p[3], root, 0)
				}
				return
			}
		}
		delPath(r.c, p[1:])
	}
}

func (r *run) entities() map[string]any {
	ents, _ := r.c["entities"].(map[string]any)
	if ents == nil {
		ents = map[string]any{}
		r.c["entities"] = ents
	}
	return ents
}

func setPath(m map[string]any, p []string, v any) {
	for i, seg := range p {
		if i == len(p)-1 {
			m[seg] = v
			return
		}
		next, _ := m[seg].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[seg] = next
		}
		m = next
	}
}

func delPath(m map[string]any, p []string) {
	for i, seg := range p {
		if i == len(p)-1 {
			delete(m, seg)
			return
		}
		next, _ := m[seg].(map[string]any)
		if next == nil {
			return
		}
		m = next
	}
}
