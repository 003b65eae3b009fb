package admin

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 4122 name-based v5 UUIDs are defined over SHA-1
	"encoding/base64"
	"encoding/hex"
)

// NewSecret returns 32 random bytes, base64url without padding.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSigningSecret returns a Standard Webhooks secret, whsec_<base64>.
func NewSigningSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// NewClientID returns a new app client id, cs-<uuid v4>.
func NewClientID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return "cs-" + formatUUID(b)
}

// botNamespace is the namespace of Parley's bot ids.
var botNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x14, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// NewBotID returns a new bot stream id, st-<uuid v5> (the form BotKit
// validates), named by 16 random bytes.
func NewBotID() string {
	var name [16]byte
	_, _ = rand.Read(name[:])
	h := sha1.New() //nolint:gosec // see import
	h.Write(botNamespace[:])
	h.Write(name[:])
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return "st-" + formatUUID(b)
}

func formatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
