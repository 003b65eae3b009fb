package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/registry"
)

const (
	appRS  = "cs-33333333-3333-3333-3333-333333333333"
	appJWE = "cs-44444444-4444-4444-4444-444444444444"
	appOpt = "cs-55555555-5555-5555-5555-555555555555"
)

func rsaKey(t *testing.T) (*rsa.PrivateKey, string, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k)
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
}

func encrypt(t *testing.T, alg jose.KeyAlgorithm, enc jose.ContentEncryption, pub *rsa.PublicKey, kid, inner string) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: pub, KeyID: kid},
		(&jose.EncrypterOptions{}).WithType("JWT").WithContentType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(inner))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signRS(t *testing.T, m jwt.SigningMethod, k *rsa.PrivateKey, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAsymmetricAndJWE covers RS256/RS512 apps and JWE-wrapped tokens.
func TestAsymmetricAndJWE(t *testing.T) {
	clientKey, clientPub, _ := rsaKey(t)
	otherKey, _, _ := rsaKey(t)
	platKey, _, platPriv := rsaKey(t)
	const secret = "secret-of-jwe-app-0123456789"
	reg := apps{
		appRS:  {ClientID: appRS, Algorithms: []string{"RS256", "RS512"}, PublicKey: clientPub, Audiences: registry.DefaultAudiences},
		appJWE: {ClientID: appJWE, ClientSecret: secret, Algorithms: []string{"HS256", "RS256"}, PublicKey: clientPub, EnforceJWE: true, JWEPrivateKey: platPriv, JWEKeyID: "k1", Audiences: registry.DefaultAudiences},
		appOpt: {ClientID: appOpt, ClientSecret: secret, Algorithms: []string{"HS256"}, JWEPrivateKey: platPriv, Audiences: registry.DefaultAudiences},
	}
	hs := func(app string) string {
		return sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"appId": app, "sub": "u", "privateClaims": map[string]any{"acct": "7"}})
	}
	tests := []struct {
		name    string
		app     string
		token   string
		wantErr string
	}{
		{"RS256 with the registered key", appRS, signRS(t, jwt.SigningMethodRS256, clientKey, jwt.MapClaims{"appId": appRS, "sub": "u"}), ""},
		{"RS512 with the registered key", appRS, signRS(t, jwt.SigningMethodRS512, clientKey, jwt.MapClaims{"appId": appRS, "sub": "u"}), ""},
		{"RS256 with another key", appRS, signRS(t, jwt.SigningMethodRS256, otherKey, jwt.MapClaims{"appId": appRS}), "verification error"},
		{"HS256 keyed with the public key (algorithm confusion)", appRS, sign(t, jwt.SigningMethodHS256, clientPub, jwt.MapClaims{"appId": appRS}), "HS256 is not allowed"},
		{"RS256 for an HS-only app", appA, signRS(t, jwt.SigningMethodRS256, clientKey, jwt.MapClaims{"appId": appA}), "RS256 is not allowed"},
		{"PS256 refused", appRS, signRS(t, jwt.SigningMethodPS256, clientKey, jwt.MapClaims{"appId": appRS}), "signing method PS256 is invalid"},
		{"JWE RSA-OAEP A256GCM", appJWE, encrypt(t, jose.RSA_OAEP, jose.A256GCM, &platKey.PublicKey, "k1", hs(appJWE)), ""},
		{"JWE RSA1_5 A128CBC-HS256", appJWE, encrypt(t, jose.RSA1_5, jose.A128CBC_HS256, &platKey.PublicKey, "", hs(appJWE)), ""},
		{"JWE RSA-OAEP A128GCM around RS256", appJWE, encrypt(t, jose.RSA_OAEP, jose.A128GCM, &platKey.PublicKey, "k1",
			signRS(t, jwt.SigningMethodRS256, clientKey, jwt.MapClaims{"appId": appJWE})), ""},
		{"plain JWS when JWE is enforced", appJWE, hs(appJWE), "only JWE"},
		{"JWE for another key", appJWE, encrypt(t, jose.RSA_OAEP, jose.A256GCM, &otherKey.PublicKey, "", hs(appJWE)), "does not decrypt"},
		{"JWE with a foreign kid", appJWE, encrypt(t, jose.RSA_OAEP, jose.A256GCM, &platKey.PublicKey, "k9", hs(appJWE)), "kid"},
		{"JWE with an undocumented algorithm", appJWE, encrypt(t, jose.RSA_OAEP_256, jose.A256GCM, &platKey.PublicKey, "", hs(appJWE)), "malformed"},
		{"JWE with a bad inner signature", appJWE, encrypt(t, jose.RSA_OAEP, jose.A256GCM, &platKey.PublicKey, "",
			sign(t, jwt.SigningMethodHS256, "not-the-secret-0123456789", jwt.MapClaims{"appId": appJWE})), "signature is invalid"},
		{"JWE optional: JWE accepted", appOpt, encrypt(t, jose.RSA_OAEP, jose.A256GCM, &platKey.PublicKey, "", hs(appOpt)), ""},
		{"JWE optional: plain accepted", appOpt, hs(appOpt), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, inst := fixture()
			base := inst
			v := NewVerifier(merged(reg), &memGuard{seen: map[string]bool{}}, time.Minute)
			base.App = tc.app
			id, err := v.Verify(t.Context(), "Bearer "+tc.token, base)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if id.AppID != tc.app {
					t.Fatalf("identity app %q", id.AppID)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || !strings.Contains(ae.Msg, tc.wantErr) {
				t.Fatalf("err = %v, want a refusal mentioning %q", err, tc.wantErr)
			}
			checkKoreMessage(t, ae.Msg)
		})
	}
}

func merged(extra apps) apps {
	v, _ := fixture()
	out := apps{}
	for k, a := range v.apps.(apps) {
		out[k] = a
	}
	for k, a := range extra {
		out[k] = a
	}
	return out
}

func TestJWEPrivateClaims(t *testing.T) {
	platKey, _, platPriv := rsaKey(t)
	const secret = "secret-of-jwe-app-0123456789"
	reg := apps{appJWE: {ClientID: appJWE, ClientSecret: secret, Algorithms: []string{"HS256"}, EnforceJWE: true, JWEPrivateKey: platPriv, Audiences: registry.DefaultAudiences}}
	v := NewVerifier(reg, &memGuard{seen: map[string]bool{}}, time.Minute)
	inner := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"appId": appJWE, "sub": "u", "secureCustomData": map[string]any{"tier": "gold"}})
	id, err := v.Verify(t.Context(), "bearer "+encrypt(t, jose.RSA_OAEP, jose.A256GCM, &platKey.PublicKey, "", inner), registry.Instance{App: appJWE})
	if err != nil {
		t.Fatal(err)
	}
	if id.PrivateClaims["tier"] != "gold" {
		t.Fatalf("private claims %v", id.PrivateClaims)
	}
}

// TestRetiringSecret: after a rotation the old secret is accepted until its
// deadline, and not after.
func TestRetiringSecret(t *testing.T) {
	now := time.Now()
	reg := apps{appA: {ClientID: appA, ClientSecret: "new-secret-0123456789abcdef", Algorithms: []string{"HS256"}, Audiences: registry.DefaultAudiences,
		RetiringSecrets: []registry.RetiringSecret{{Secret: "old-secret-0123456789abcdef", Until: now.Add(time.Minute)}}}}
	v := NewVerifier(reg, &memGuard{seen: map[string]bool{}}, time.Minute)
	inst := registry.Instance{App: appA}
	oldTok := "Bearer " + sign(t, jwt.SigningMethodHS256, "old-secret-0123456789abcdef", jwt.MapClaims{"appId": appA})
	newTok := "Bearer " + sign(t, jwt.SigningMethodHS256, "new-secret-0123456789abcdef", jwt.MapClaims{"appId": appA})
	for _, tok := range []string{oldTok, newTok} {
		if _, err := v.Verify(t.Context(), tok, inst); err != nil {
			t.Fatalf("during the overlap: %v", err)
		}
	}
	v.now = func() time.Time { return now.Add(2 * time.Minute) }
	if _, err := v.Verify(t.Context(), oldTok, inst); err == nil {
		t.Fatal("old secret accepted after the overlap")
	}
	if _, err := v.Verify(t.Context(), newTok, inst); err != nil {
		t.Fatalf("new secret after the overlap: %v", err)
	}
}
