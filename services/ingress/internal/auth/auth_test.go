package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/registry"
)

const (
	appA = "cs-11111111-1111-1111-1111-111111111111"
	appB = "cs-22222222-2222-2222-2222-222222222222"
)

type apps map[string]registry.App

func (a apps) App(id string) (registry.App, bool) { x, ok := a[id]; return x, ok }

// memGuard is a fake for unit tests; the real stores have their own tests.
type memGuard struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (g *memGuard) Reserve(_ context.Context, app, jti string, _ time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen[app+jti] {
		return false, nil
	}
	g.seen[app+jti] = true
	return true, nil
}

func fixture() (*Verifier, registry.Instance) {
	reg := apps{
		appA: {ClientID: appA, ClientSecret: "secret-of-app-a-0123456789", Algorithms: []string{"HS256", "HS512"}, Audiences: registry.DefaultAudiences},
		appB: {ClientID: appB, ClientSecret: "secret-of-app-b-0123456789", Algorithms: []string{"HS256"}, Audiences: registry.DefaultAudiences},
	}
	return NewVerifier(reg, &memGuard{seen: map[string]bool{}}, time.Minute), registry.Instance{App: appA}
}

func sign(t *testing.T, method jwt.SigningMethod, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	now := time.Now()
	secretA := "secret-of-app-a-0123456789"
	noneToken, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"appId": appA, "sub": "u"}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	tests := []struct {
		name    string
		header  string
		wantErr string // substring of the client message; "" means accepted
	}{
		{"appId HS256", "bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "sub": "u1"}), ""},
		{"scheme in any case", "BeArEr " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "sub": "u1"}), ""},
		{"HS512", "Bearer " + sign(t, jwt.SigningMethodHS512, secretA, jwt.MapClaims{"appId": appA, "sub": "u1"}), ""},
		{"iss names the app", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"iss": appA, "sub": "u1"}), ""},
		{"kore_iss names the app", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"kore_iss": appA, "iss": "x", "sub": "u1"}), ""},
		{"documented aud", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "aud": "https://idproxy.kore.ai/authorize"}), ""},
		{"exp within skew", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "exp": now.Add(-30 * time.Second).Unix()}), ""},
		{"missing header", "", "bearer"},
		{"basic scheme", "Basic abc", "bearer"},
		{"alg none", "Bearer " + noneToken, "signing method none is invalid"},
		{"wrong secret", "Bearer " + sign(t, jwt.SigningMethodHS256, "not-the-secret-0123456789", jwt.MapClaims{"appId": appA}), "signature is invalid"},
		{"another app's token", "Bearer " + sign(t, jwt.SigningMethodHS256, "secret-of-app-b-0123456789", jwt.MapClaims{"appId": appB}), "not associated with this channel"},
		{"no app claim", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"sub": "u"}), "names no app"},
		{"expired", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "exp": now.Add(-2 * time.Minute).Unix()}), "expired"},
		{"not yet valid", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "nbf": now.Add(5 * time.Minute).Unix()}), "nbf"},
		{"issued in the future", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "iat": now.Add(5 * time.Minute).Unix()}), "iat"},
		{"malformed", "Bearer abc.def", "malformed"},
		{"jti without exp", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "jti": "j0"}), MsgJTIExp},
		{"jti with exp over an hour", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "jti": "j1", "exp": now.Add(2 * time.Hour).Unix()}), MsgJTIExp},
		{"jti with iat-to-exp over an hour", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "jti": "j2", "iat": now.Unix() - 30, "exp": now.Add(59*time.Minute + 40*time.Second).Unix()}), MsgJTIExp},
		{"foreign aud", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "aud": "https://example.com"}), "aud"},
		{"aud not a string", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "aud": 7}), "aud"},
		{"exp not a number", "Bearer " + sign(t, jwt.SigningMethodHS256, secretA, jwt.MapClaims{"appId": appA, "exp": "tomorrow"}), MsgInvalidToken},
		{"too long", "Bearer " + strings.Repeat("a", maxTokenBytes+1), "too long"},
		{"JWE not enabled", "Bearer a.b.c.d.e", "JWE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, inst := fixture()
			_, err := v.Verify(t.Context(), tc.header, inst)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an auth refusal", err)
			}
			if !strings.Contains(ae.Msg, tc.wantErr) {
				t.Fatalf("message %q does not mention %q", ae.Msg, tc.wantErr)
			}
			if strings.Contains(ae.Msg, "secret-of") {
				t.Fatalf("message leaks a secret: %q", ae.Msg)
			}
			checkKoreMessage(t, ae.Msg)
		})
	}
}

// checkKoreMessage fails unless msg is one of contract §8's 401 messages:
// "Invalid Access token" (a reason may follow a colon) for every bad or
// missing token, or one of the two jti messages.
func checkKoreMessage(t *testing.T, msg string) {
	t.Helper()
	if msg != MsgJTIExp && msg != MsgReplay && msg != MsgInvalidToken && !strings.HasPrefix(msg, MsgInvalidToken+": ") {
		t.Fatalf("message %q is not %q (with an optional reason after a colon) nor a documented jti message", msg, MsgInvalidToken)
	}
}

func TestAlgorithmNotConfiguredForApp(t *testing.T) {
	v, _ := fixture()
	tok := sign(t, jwt.SigningMethodHS512, "secret-of-app-b-0123456789", jwt.MapClaims{"appId": appB})
	_, err := v.Verify(t.Context(), "Bearer "+tok, registry.Instance{App: appB})
	if err == nil || !strings.Contains(err.Error(), "HS512 is not allowed") {
		t.Fatalf("err = %v, want HS512 refused for an HS256-only app", err)
	}
}

func TestJTIReplay(t *testing.T) {
	v, inst := fixture()
	tok := "Bearer " + sign(t, jwt.SigningMethodHS256, "secret-of-app-a-0123456789",
		jwt.MapClaims{"appId": appA, "jti": "once", "exp": time.Now().Add(10 * time.Minute).Unix()})
	if _, err := v.Verify(t.Context(), tok, inst); err != nil {
		t.Fatalf("first use refused: %v", err)
	}
	_, err := v.Verify(t.Context(), tok, inst)
	if !errors.Is(err, ErrReplay) || err.Error() != MsgReplay {
		t.Fatalf("second use: %v, want %q", err, MsgReplay)
	}
}

func TestIdentityClaims(t *testing.T) {
	v, inst := fixture()
	tok := "Bearer " + sign(t, jwt.SigningMethodHS256, "secret-of-app-a-0123456789",
		jwt.MapClaims{"appId": appA, "sub": "s", "kore_sub": "ks", "privateClaims": map[string]any{"accountId": "42"}})
	id, err := v.Verify(t.Context(), tok, inst)
	if err != nil {
		t.Fatal(err)
	}
	if id.AppID != appA || id.Subject != "ks" || id.PrivateClaims["accountId"] != "42" {
		t.Fatalf("identity = %+v", id)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")
	f.Add("bearer a.b.c.d.e")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		v, inst := fixture()
		if id, err := v.Verify(context.Background(), header, inst); err == nil && id.AppID != appA {
			t.Fatalf("accepted a token for %q", id.AppID)
		}
	})
}
