package registry

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
)

// Algorithms lists every signing algorithm an app may allow.
var Algorithms = []string{HS256, HS512, RS256, RS512}

// UsesHMAC reports whether the app allows a client-secret algorithm.
func (a App) UsesHMAC() bool {
	return slices.Contains(a.Algorithms, HS256) || slices.Contains(a.Algorithms, HS512)
}

// UsesRSA reports whether the app allows a public-key algorithm.
func (a App) UsesRSA() bool {
	return slices.Contains(a.Algorithms, RS256) || slices.Contains(a.Algorithms, RS512)
}

// LogValue keeps the app's secrets out of logs.
func (a App) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", a.ClientID), slog.String("name", a.Name))
}

// String keeps the app's secrets out of %v.
func (a App) String() string { return "app " + a.ClientID }

// LogValue keeps the instance's secrets out of logs.
func (i Instance) LogValue() slog.Value {
	return slog.GroupValue(slog.String("bot_id", i.BotID), slog.String("instance_id", i.InstanceID))
}

// validateKeys checks an app's algorithms and key material; p is the
// app's config path.
func (a App) validateKeys(p string) []error {
	var errs []error
	if len(a.Algorithms) == 0 {
		errs = append(errs, fmt.Errorf("%s.algorithms: at least one of HS256, HS512, RS256, RS512 is required", p))
	}
	for j, alg := range a.Algorithms {
		if !slices.Contains(Algorithms, alg) {
			errs = append(errs, fmt.Errorf("%s.algorithms[%d]: %q is not HS256, HS512, RS256 or RS512", p, j, alg))
		}
	}
	if (a.UsesHMAC() || len(a.Algorithms) == 0) && len(a.ClientSecret) < 16 {
		errs = append(errs, fmt.Errorf("%s.client_secret: must be at least 16 characters", p))
	}
	if a.UsesRSA() && a.PublicKey == "" {
		errs = append(errs, fmt.Errorf("%s.public_key: required for RS256 and RS512", p))
	}
	if a.PublicKey != "" {
		if _, err := ParseRSAPublicKey(a.PublicKey); err != nil {
			errs = append(errs, fmt.Errorf("%s.public_key: %w", p, err))
		}
	}
	if a.JWEPrivateKey != "" {
		if _, err := ParseRSAPrivateKey(a.JWEPrivateKey); err != nil {
			errs = append(errs, fmt.Errorf("%s.jwe_private_key: %w", p, err))
		}
	}
	return errs
}

// ParseRSAPublicKey reads a PEM "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY"
// (PKCS#1) block of at least 2048 bits.
func ParseRSAPublicKey(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not RSA", k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		pub = k
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("the RSA key has %d bits; at least 2048 are required", pub.N.BitLen())
	}
	return pub, nil
}

// ParseRSAPrivateKey reads a PEM "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE
// KEY" (PKCS#1) block.
func ParseRSAPrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the PKCS#8 private key does not parse")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the PKCS#1 private key does not parse")
		}
		return k, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
}

// GenerateJWEKey makes an app's RSA key pair for JWE: the PKCS#8 PEM
// private key and its key id (the RFC 7638 thumbprint of the public key).
func GenerateJWEKey() (privatePEM, keyID string, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("generate RSA key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", fmt.Errorf("marshal RSA key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), thumbprint(&k.PublicKey), nil
}

// JWK is the public half of an app's JWE key as Kore shows it.
type JWK struct {
	Kty string `json:"kty"`
	E   string `json:"e"`
	N   string `json:"n"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg,omitempty"`
}

// PublicJWK returns the public JWK of a PEM private key; kid empty means
// the thumbprint.
func PublicJWK(privatePEM, kid string) (JWK, error) {
	k, err := ParseRSAPrivateKey(privatePEM)
	if err != nil {
		return JWK{}, err
	}
	if kid == "" {
		kid = thumbprint(&k.PublicKey)
	}
	return JWK{Kty: "RSA", E: b64(big.NewInt(int64(k.E)).Bytes()), N: b64(k.N.Bytes()), Kid: kid, Use: "enc", Alg: "RSA-OAEP"}, nil
}

// PublicKeyPEM returns the PKIX PEM of a PEM private key's public half.
func PublicKeyPEM(privatePEM string) (string, error) {
	k, err := ParseRSAPrivateKey(privatePEM)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func thumbprint(k *rsa.PublicKey) string {
	// RFC 7638: members in lexicographic order, no whitespace.
	doc, _ := json.Marshal(struct {
		E   string `json:"e"`
		Kty string `json:"kty"`
		N   string `json:"n"`
	}{b64(big.NewInt(int64(k.E)).Bytes()), "RSA", b64(k.N.Bytes())})
	sum := sha256.Sum256(doc)
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
