package auth

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/registry"
)

// maxTokenBytes bounds the work a request can ask for before any check.
const maxTokenBytes = 16 << 10

// Kore's documented JWE algorithms (§2.5).
var (
	jweKeyAlgs = []jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA1_5}
	jweEncs    = []jose.ContentEncryption{jose.A128CBC_HS256, jose.A128GCM, jose.A256GCM}
)

// decrypt unwraps a JWE token with the private key of the instance's app and
// returns the nested JWT.
func (v *Verifier) decrypt(token string, app registry.App) (string, error) {
	if app.JWEPrivateKey == "" {
		return "", invalidToken("encrypted (JWE) tokens are not enabled for this app", nil)
	}
	obj, err := jose.ParseEncryptedCompact(token, jweKeyAlgs, jweEncs)
	if err != nil {
		return "", invalidToken("the JWE is malformed or uses an algorithm other than RSA-OAEP/RSA1_5 with A128CBC-HS256, A128GCM or A256GCM", err)
	}
	if kid := obj.Header.KeyID; kid != "" && app.JWEKeyID != "" && kid != app.JWEKeyID {
		return "", invalidToken("the JWE kid is not this app's key", nil)
	}
	key, err := v.keys.private(app.JWEPrivateKey)
	if err != nil {
		return "", fmt.Errorf("app %s JWE key: %w", app.ClientID, err)
	}
	inner, err := obj.Decrypt(key)
	if err != nil {
		// One message for every failure: telling a wrong key from a
		// tampered ciphertext would help an attacker (RSA1_5 oracles).
		return "", invalidToken("the JWE does not decrypt with this app's key", err)
	}
	return string(inner), nil
}

// verificationKey returns what golang-jwt checks the signature against:
// the app's current and still-valid retiring secrets for HMAC, its public
// key for RSA.
func (v *Verifier) verificationKey(alg string, app registry.App) (any, error) {
	switch alg {
	case registry.HS256, registry.HS512:
		if app.ClientSecret == "" {
			return nil, fmt.Errorf("app %s has no client secret", app.ClientID)
		}
		set := jwt.VerificationKeySet{Keys: []jwt.VerificationKey{[]byte(app.ClientSecret)}}
		now := v.now()
		for _, rs := range app.RetiringSecrets {
			if rs.Until.After(now) {
				set.Keys = append(set.Keys, []byte(rs.Secret))
			}
		}
		if len(set.Keys) == 1 {
			return set.Keys[0], nil
		}
		return set, nil
	case registry.RS256, registry.RS512:
		if app.PublicKey == "" {
			return nil, fmt.Errorf("app %s has no registered public key", app.ClientID)
		}
		return v.keys.public(app.PublicKey)
	}
	return nil, fmt.Errorf("algorithm %s is not supported", alg)
}

// keyCache keeps parsed PEM keys: parsing on every request would cost more
// than the signature check. Keys change rarely, so the cache is simply
// emptied when it grows past its bound.
type keyCache struct {
	m sync.Map // PEM string → *rsa.PublicKey or *rsa.PrivateKey
	n atomic.Int64
}

const maxCachedKeys = 4096

func (c *keyCache) get(pem string, parse func(string) (any, error)) (any, error) {
	if k, ok := c.m.Load(pem); ok {
		return k, nil
	}
	k, err := parse(pem)
	if err != nil {
		return nil, err
	}
	if c.n.Add(1) > maxCachedKeys {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(pem, k)
	return k, nil
}

func (c *keyCache) public(pem string) (any, error) {
	return c.get("pub\x00"+pem, func(string) (any, error) {
		k, err := registry.ParseRSAPublicKey(pem)
		if err != nil {
			return nil, errors.New("the app's public key does not parse")
		}
		return k, nil
	})
}

func (c *keyCache) private(pem string) (any, error) {
	return c.get("priv\x00"+pem, func(string) (any, error) { return registry.ParseRSAPrivateKey(pem) })
}
