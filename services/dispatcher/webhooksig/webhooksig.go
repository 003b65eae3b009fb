// Package webhooksig signs and verifies Standard Webhooks (v1.0.0)
// signatures, the scheme Parley's dispatcher uses on every asynchronous
// reply it POSTs. Receivers can import it on its own: it depends only on the
// standard library.
//
// The signed content is "{webhook-id}.{webhook-timestamp}.{body}" over the
// exact body bytes; the signature is "v1,<base64 HMAC-SHA256>". During a key
// rotation the sender lists one signature per secret, separated by spaces,
// and a receiver accepts the message if any signature matches any of its
// secrets. Secrets are written "whsec_<base64>" (Standard Webhooks); any
// other string is used as raw key bytes.
//
// Delivery is at least once: the same message can arrive more than once,
// always under the same webhook-id (a retry after a lost answer, a dead
// letter replayed by an operator). A receiver verifies, then de-duplicates
// on the id before acting:
//
//	v, err := webhooksig.NewVerifier("whsec_...")
//	d := webhooksig.NewDeduper(0, 0) // 2 h, 100,000 ids
//	...
//	if err := v.Verify(r.Header, body); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//	if d.Seen(r.Header.Get(webhooksig.HeaderID)) {
//		w.WriteHeader(http.StatusOK) // a redelivery: handled already
//		return
//	}
//
// Verify first: an unsigned request must not put an id in the Deduper.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names (Standard Webhooks).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a base64-encoded secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify; wrap-compatible with errors.Is.
var (
	ErrMissingHeaders   = errors.New("webhooksig: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrInvalidTimestamp = errors.New("webhooksig: invalid webhook-timestamp")
	ErrTimestampTooOld  = errors.New("webhooksig: timestamp too old")
	ErrTimestampTooNew  = errors.New("webhooksig: timestamp too far in the future")
	ErrNoMatch          = errors.New("webhooksig: no matching signature")
	ErrInvalidSecret    = errors.New("webhooksig: invalid secret")
	ErrNoSecrets        = errors.New("webhooksig: no secrets")
	ErrInvalidID        = errors.New("webhooksig: webhook-id must not contain '.'")
)

// DecodeSecret returns the key bytes of a secret: the base64 payload of a
// "whsec_" secret, or the string itself otherwise.
func DecodeSecret(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: whsec_ payload is not base64: %w", ErrInvalidSecret, err)
		}
		if len(key) == 0 {
			return nil, fmt.Errorf("%w: empty key", ErrInvalidSecret)
		}
		return key, nil
	}
	if secret == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	return []byte(secret), nil
}

// Sign returns "v1,<base64>" for one secret. A "whsec_" secret whose payload
// is not base64 is used as raw bytes; validate secrets with DecodeSecret at
// configuration time.
func Sign(secret, id string, ts time.Time, body []byte) string {
	key, err := DecodeSecret(secret)
	if err != nil {
		key = []byte(secret)
	}
	return signKey(key, id, ts.Unix(), body)
}

// SignAll returns the webhook-signature header value for several secrets:
// one signature each, space-separated.
func SignAll(secrets []string, id string, ts time.Time, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, Sign(s, id, ts, body))
	}
	return strings.Join(sigs, " ")
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

func signKey(key []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts, body))
}

// Signature is one entry of a webhook-signature header.
type Signature struct {
	Version string
	Value   []byte
}

// ParseSignatures splits a webhook-signature header into its entries.
// Entries that are malformed (no comma, bad base64) are skipped, so that a
// receiver still accepts a message signed with a scheme it knows next to one
// it does not.
func ParseSignatures(header string) []Signature {
	var out []Signature
	for _, f := range strings.Fields(header) {
		version, value, ok := strings.Cut(f, ",")
		if !ok || version == "" || value == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		out = append(out, Signature{Version: version, Value: raw})
	}
	return out
}

// Verifier checks signatures against a set of secrets.
type Verifier struct {
	keys [][]byte
	// Tolerance bounds |now - webhook-timestamp|; DefaultTolerance when 0.
	Tolerance time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// NewVerifier decodes the secrets; during a rotation pass both.
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecrets
	}
	v := &Verifier{}
	for i, s := range secrets {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		v.keys = append(v.keys, k)
	}
	return v, nil
}

// Verify checks the headers and body against any of the secrets with the
// default tolerance.
func Verify(secrets []string, h http.Header, body []byte) error {
	v, err := NewVerifier(secrets...)
	if err != nil {
		return err
	}
	return v.Verify(h, body)
}

// Verify returns nil if the timestamp is within tolerance and one of the
// header's v1 signatures matches one of the secrets. Comparisons are
// constant-time.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id, tsText, sigHeader := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigHeader == "" {
		return ErrMissingHeaders
	}
	if strings.Contains(id, ".") {
		return ErrInvalidID
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < 0 {
		return ErrInvalidTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	at := time.Unix(ts, 0)
	switch n := now(); {
	case at.Before(n.Add(-tol)):
		return ErrTimestampTooOld
	case at.After(n.Add(tol)):
		return ErrTimestampTooNew
	}
	sigs := ParseSignatures(sigHeader)
	for _, k := range v.keys {
		want := mac(k, id, ts, body)
		for _, s := range sigs {
			if s.Version == "v1" && hmac.Equal(s.Value, want) {
				return nil
			}
		}
	}
	return ErrNoMatch
}
