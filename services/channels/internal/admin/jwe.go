package admin

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"

	"github.com/parleyhq/parley/platform/registry"
)

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
	k, err := registry.ParseRSAPrivateKey(privatePEM)
	if err != nil {
		return JWK{}, err
	}
	if kid == "" {
		kid = thumbprint(&k.PublicKey)
	}
	return JWK{Kty: "RSA", E: b64(big.NewInt(int64(k.E)).Bytes()), N: b64(k.N.Bytes()), Kid: kid, Use: "enc", Alg: "RSA-OAEP"}, nil
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
