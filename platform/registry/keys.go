package registry

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
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
