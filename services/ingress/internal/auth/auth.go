// Package auth verifies the bearer JWT of a webhook request as Kore.ai's
// WebHook channel does: HS256/HS512 signed with the client secret of the app
// associated with the channel instance (or RS256/RS512 with its registered
// public key), the app named by appId (then kore_iss, then iss), optionally
// wrapped in JWE for the app's key pair, and the documented jti rules
// against replays.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/registry"
)

// ReplayGuard remembers token ids in a store shared by every ingress
// replica. Reserve reports false when the id was already used.
type ReplayGuard interface {
	Reserve(ctx context.Context, appID, jti string, until time.Time) (fresh bool, err error)
}

// Apps resolves client ids to apps.
type Apps interface {
	App(clientID string) (registry.App, bool)
}

// Error is a refusal with the message the client sees. It never contains a
// secret or the token itself.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// ErrReplay is wrapped by the refusal of a jti seen before.
var ErrReplay = errors.New("jti replay")

// Messages Kore documents verbatim (contract §8): every bad or missing
// token is "Invalid Access token" (Parley adds the reason after a colon),
// except the two jti rules, which have messages of their own.
const (
	MsgInvalidToken = "Invalid Access token"
	MsgJTIExp       = `error verifying the jwt: if "jti" claim "exp" must be <= 1 hour(s)`
	MsgReplay       = "error verifying the jwt: possibly a replay"
)

// invalidToken is the refusal of a bad or missing token, with its reason.
func invalidToken(reason string, err error) *Error {
	return &Error{Msg: MsgInvalidToken + ": " + reason, Err: err}
}

// Identity is what a verified token says.
type Identity struct {
	AppID string
	// Subject is sub, or kore_sub when present.
	Subject string
	// PrivateClaims holds privateClaims / secureCustomData when present.
	PrivateClaims map[string]any
	// UserIdentity is the V2 userIdentity claim: when set, the request's
	// from.id must equal it (contract §2.4).
	UserIdentity string
}

// Verifier checks tokens.
type Verifier struct {
	apps   Apps
	replay ReplayGuard
	skew   time.Duration
	now    func() time.Time
	parser *jwt.Parser
	keys   keyCache
}

// NewVerifier returns a verifier allowing skew on exp, nbf and iat.
func NewVerifier(apps Apps, replay ReplayGuard, skew time.Duration) *Verifier {
	v := &Verifier{apps: apps, replay: replay, skew: skew, now: time.Now}
	v.parser = jwt.NewParser(
		// "none", ECDSA, PSS and EdDSA are refused before any key is looked
		// at; the key function then only hands an HMAC method the app's
		// secrets and an RSA method its public key, so one cannot be used as
		// the other.
		jwt.WithValidMethods([]string{registry.HS256, registry.HS512, registry.RS256, registry.RS512}),
		jwt.WithLeeway(skew),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// maxJTILifetime is Kore's rule: a token with a jti must expire within an
// hour.
const maxJTILifetime = time.Hour

// Verify checks the Authorization header value of a request for the
// instance and returns the caller's identity.
func (v *Verifier) Verify(ctx context.Context, header string, inst registry.Instance) (Identity, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return Identity{}, invalidToken("expected 'Authorization: bearer <JWT>'", nil)
	}
	token = strings.TrimSpace(token)
	if len(token) > maxTokenBytes {
		return Identity{}, invalidToken("the token is too long", nil)
	}
	instApp, _ := v.apps.App(inst.App)
	if strings.Count(token, ".") == 4 {
		inner, err := v.decrypt(token, instApp)
		if err != nil {
			return Identity{}, err
		}
		token = inner
	} else if instApp.EnforceJWE {
		return Identity{}, invalidToken("this app accepts only JWE-encrypted tokens", nil)
	}

	var app registry.App
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		clientID := appIDOf(claims)
		if clientID == "" {
			return nil, errors.New("the token names no app (appId, kore_iss or iss)")
		}
		if clientID != inst.App {
			return nil, fmt.Errorf("app %s is not associated with this channel", clientID)
		}
		a, found := v.apps.App(clientID)
		if !found {
			return nil, fmt.Errorf("unknown app %s", clientID)
		}
		if !slices.Contains(a.Algorithms, t.Method.Alg()) {
			return nil, fmt.Errorf("algorithm %s is not allowed for app %s", t.Method.Alg(), clientID)
		}
		app = a
		return v.verificationKey(t.Method.Alg(), a)
	})
	if err != nil {
		return Identity{}, invalidToken(describe(err), err)
	}

	if err := v.checkLifetime(ctx, claims, app); err != nil {
		return Identity{}, err
	}
	if aud, err := audience(claims); err != nil {
		return Identity{}, invalidToken("aud must be a string or an array of strings", err)
	} else if len(aud) > 0 && !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(app.Audiences, a) }) {
		return Identity{}, invalidToken("aud is not an accepted audience", nil)
	}

	id := Identity{AppID: app.ClientID, Subject: stringClaim(claims, "kore_sub", "sub"), UserIdentity: stringClaim(claims, "userIdentity")}
	for _, k := range []string{"privateClaims", "secureCustomData"} {
		if m, ok := claims[k].(map[string]any); ok {
			id.PrivateClaims = m
			break
		}
	}
	return id, nil
}

// checkLifetime applies the jti rules: exp within an hour (of now and of
// iat), and the jti not used before.
func (v *Verifier) checkLifetime(ctx context.Context, claims jwt.MapClaims, app registry.App) error {
	jti := stringClaim(claims, "kore_jti", "jti")
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return invalidToken("exp is not a number", err)
	}
	if jti == "" && app.EnforceJTI {
		return invalidToken("this app requires a jti claim", nil)
	}
	if exp == nil && app.RequireExp {
		return invalidToken("this app requires an exp claim", nil)
	}
	if jti == "" {
		return nil
	}
	if exp == nil || exp.Sub(v.now()) > maxJTILifetime+v.skew {
		return &Error{Msg: MsgJTIExp}
	}
	if iat, _ := claims.GetIssuedAt(); iat != nil && exp.Sub(iat.Time) > maxJTILifetime {
		return &Error{Msg: MsgJTIExp}
	}
	fresh, err := v.replay.Reserve(ctx, app.ClientID, jti, exp.Add(v.skew))
	if err != nil {
		return fmt.Errorf("reserve jti: %w", err)
	}
	if !fresh {
		return &Error{Msg: MsgReplay, Err: ErrReplay}
	}
	return nil
}

// audience reads aud. golang-jwt treats an aud of another type (a number,
// an object) as absent; here it is refused, so that a token cannot skip the
// audience check by its spelling.
func audience(c jwt.MapClaims) (jwt.ClaimStrings, error) {
	switch c["aud"].(type) {
	case nil, string, []any, []string:
		return c.GetAudience()
	}
	return nil, jwt.ErrInvalidType
}

func appIDOf(c jwt.MapClaims) string {
	return stringClaim(c, "appId", "kore_iss", "iss")
}

// stringClaim returns the first non-empty string claim among names.
func stringClaim(c jwt.MapClaims, names ...string) string {
	for _, n := range names {
		if s, ok := c[n].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// describe turns golang-jwt's errors into a short reason for the client.
func describe(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "the token is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is issued in the future (iat)"
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// golang-jwt joins its context and the cause with ": "; the cause
		// (an unknown app, an algorithm not allowed, a bad signature) is
		// what the client needs.
		msg := err.Error()
		return msg[strings.LastIndex(msg, ": ")+2:]
	}
	return "the token's claims are invalid"
}
