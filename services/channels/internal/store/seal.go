package store

import (
	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// Sealer seals secrets into records, each bound to its record and field by
// the additional data platform/registry defines; the watched views open
// them with the same master key. Its embedded registry.Sealer opens them
// here too.
type Sealer struct {
	*registry.Sealer
}

// NewSealer returns a sealer for a 32-byte master key.
func NewSealer(key []byte) (*Sealer, error) {
	s, err := registry.NewSealer(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{Sealer: s}, nil
}

// SealAppSecrets seals the plaintext client secret and JWE key into r.
func (s *Sealer) SealAppSecrets(r *registryv1.AppRecord, clientSecret, jwePrivateKey string) error {
	var err error
	if r.ClientSecret, err = s.SealClientSecret(r.GetClientId(), clientSecret); err != nil {
		return err
	}
	r.JwePrivateKey, err = s.SealJWEKey(r.GetClientId(), jwePrivateKey)
	return err
}

// SealClientSecret seals a client secret of app clientID.
func (s *Sealer) SealClientSecret(clientID, secret string) (string, error) {
	return s.Seal(secret, registry.ClientSecretAAD(clientID))
}

// SealJWEKey seals a JWE private key of app clientID.
func (s *Sealer) SealJWEKey(clientID, key string) (string, error) {
	return s.Seal(key, registry.JWEKeyAAD(clientID))
}

// SealAccessToken seals an instance's POST_URL access token.
func (s *Sealer) SealAccessToken(botID, instanceID, token string) (string, error) {
	return s.Seal(token, registry.AccessTokenAAD(botID, instanceID))
}

// SealSigningSecret seals an instance's signing secret.
func (s *Sealer) SealSigningSecret(botID, instanceID, secret string) (string, error) {
	return s.Seal(secret, registry.SigningSecretAAD(botID, instanceID))
}
