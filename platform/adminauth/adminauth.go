// Package adminauth authenticates Parley's admin plane: bearer tokens, each
// with a role, checked in constant time, and a policy naming the least role
// each admin method needs. One Guard serves every admin entry point: the
// gRPC interceptors of the admin server (the registry's services and the
// dispatcher's, which it forwards) and an HTTP middleware for admin pages
// such as profiling.
//
// The guard fails closed: a call without a valid token is Unauthenticated,
// a call whose token's role is below the method's is PermissionDenied, and
// a method the policy does not name is refused to everyone, so a service
// registered without roles cannot be reached by accident.
package adminauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role of an admin token. Roles are ordered: each may do what the roles
// below it may.
type Role string

// Roles, from least to most trusted.
const (
	// RoleViewer reads: lists and gets.
	RoleViewer Role = "viewer"
	// RoleDeveloper also changes apps, bots and channels, replays and
	// purges dead letters and sends proactive messages.
	RoleDeveloper Role = "developer"
	// RoleBotsAdmin also approves and rejects webhook channels.
	RoleBotsAdmin Role = "bots_admin"
)

// Roles lists the roles from least to most trusted.
var Roles = []Role{RoleViewer, RoleDeveloper, RoleBotsAdmin}

// rank orders roles; 0 is no role at all.
func (r Role) rank() int { return slices.Index(Roles, r) + 1 }

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a token of role r may call a method needing need.
func (r Role) Allows(need Role) bool { return r.Valid() && need.Valid() && r.rank() >= need.rank() }

// MinTokenLength is the shortest admin token accepted.
const MinTokenLength = 16

// Token is a configured admin token.
type Token struct {
	Token string
	Role  Role
	// Name identifies the holder in logs and approvals; default the role.
	Name string
}

// ValidateTokens reports every unusable token: too short, listed twice, or
// with an unknown role. key is the configuration key of the list, used in
// the messages.
func ValidateTokens(key string, tokens []Token) error {
	var errs []error
	seen := map[string]bool{}
	for i, t := range tokens {
		if len(t.Token) < MinTokenLength {
			errs = append(errs, fmt.Errorf("%s[%d].token: must be at least %d characters", key, i, MinTokenLength))
		}
		if seen[t.Token] {
			errs = append(errs, fmt.Errorf("%s[%d].token: listed twice", key, i))
		}
		seen[t.Token] = true
		if !t.Role.Valid() {
			errs = append(errs, fmt.Errorf("%s[%d].role: %q is not one of %s", key, i, t.Role, roleList()))
		}
	}
	return errors.Join(errs...)
}

func roleList() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Caller is the authenticated holder of a call's token.
type Caller struct {
	Role Role
	Name string
}

type callerKey struct{}

// WithCaller returns ctx carrying c, for transports that authenticated the
// call elsewhere (a call forwarded over the bus).
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of an authenticated call; the zero Caller
// when there is none.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

type hashedToken struct {
	sum    [sha256.Size]byte
	caller Caller
}

// Guard checks tokens and roles. It is safe for concurrent use.
type Guard struct {
	tokens []hashedToken
	policy Policy
}

// NewGuard hashes the tokens, so that every comparison takes the same time
// whatever the token's length, and keeps the policy.
func NewGuard(tokens []Token, policy Policy) *Guard {
	g := &Guard{policy: policy}
	for _, t := range tokens {
		name := t.Name
		if name == "" {
			name = string(t.Role)
		}
		g.tokens = append(g.tokens, hashedToken{sum: sha256.Sum256([]byte(t.Token)), caller: Caller{Role: t.Role, Name: name}})
	}
	return g
}

// Refusal is why a call was refused; Unauthenticated tells the two kinds
// apart.
type Refusal struct {
	// Unauthenticated is true when no valid token was presented, false
	// when the token's role is not enough.
	Unauthenticated bool
	Msg             string
}

func (r *Refusal) Error() string { return r.Msg }

func unauthenticated(msg string) error { return &Refusal{Unauthenticated: true, Msg: msg} }

// Authenticate returns the caller of an "Authorization: Bearer <token>"
// value, or a *Refusal.
func (g *Guard) Authenticate(authorization string) (Caller, error) {
	if authorization == "" {
		return Caller{}, unauthenticated("missing 'authorization: Bearer <admin token>' metadata")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return Caller{}, unauthenticated("authorization metadata must be 'Bearer <admin token>'")
	}
	sum := sha256.Sum256([]byte(tok))
	var found *Caller
	for i := range g.tokens {
		// Every token is compared, so timing does not tell which matched.
		if subtle.ConstantTimeCompare(sum[:], g.tokens[i].sum[:]) == 1 {
			found = &g.tokens[i].caller
		}
	}
	if found == nil {
		return Caller{}, unauthenticated("the admin token is not valid")
	}
	return *found, nil
}

// Authorize checks that caller may call method (a gRPC full method name,
// or a name the policy gives an HTTP path); it returns a *Refusal if not.
func (g *Guard) Authorize(caller Caller, method string) error {
	need, listed := g.policy[method]
	short := method[strings.LastIndexByte(method, '/')+1:]
	if !listed {
		return &Refusal{Msg: fmt.Sprintf("%s is not open to any admin role", short)}
	}
	if !caller.Role.Allows(need) {
		return &Refusal{Msg: fmt.Sprintf("%s needs the %s role; this token has the %s role", short, need, caller.Role)}
	}
	return nil
}

// Check authenticates authorization and authorizes the caller for method.
func (g *Guard) Check(authorization, method string) (Caller, error) {
	c, err := g.Authenticate(authorization)
	if err != nil {
		return Caller{}, err
	}
	return c, g.Authorize(c, method)
}
