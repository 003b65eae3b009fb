package registry

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 4122 name-based v5 UUIDs are defined over SHA-1
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Records are what the registry bucket stores, as JSON. Secrets are sealed
// (see Sealer) with the record's key and the field name as additional data.

// SealedSecret is a sealed secret; Until, when set, is when a replaced
// secret stops being accepted.
type SealedSecret struct {
	Sealed string    `json:"sealed"`
	Until  time.Time `json:"until,omitzero"`
}

// Managed values: who declared a record.
const (
	ManagedByAPI    = ""
	ManagedByConfig = "config"
)

// AppRecord is a stored app.
type AppRecord struct {
	ClientID   string   `json:"client_id"`
	Name       string   `json:"name"`
	Algorithms []string `json:"algorithms"`
	EnforceJTI bool     `json:"enforce_jti,omitempty"`
	RequireExp bool     `json:"require_exp,omitempty"`
	EnforceJWE bool     `json:"enforce_jwe,omitempty"`
	Audiences  []string `json:"audiences,omitempty"`
	// PublicKey is the client's PEM RSA public key (not a secret).
	PublicKey       string         `json:"public_key,omitempty"`
	ClientSecret    string         `json:"client_secret"` // sealed
	RetiringSecrets []SealedSecret `json:"retiring_secrets,omitempty"`
	JWEPrivateKey   string         `json:"jwe_private_key,omitempty"` // sealed
	JWEKeyID        string         `json:"jwe_key_id,omitempty"`
	Managed         string         `json:"managed,omitempty"`
	Created         time.Time      `json:"created"`
	Updated         time.Time      `json:"updated"`
}

// BotVersion describes one stored version of a bot definition.
type BotVersion struct {
	Version int       `json:"version"`
	Digest  string    `json:"digest"`
	Size    int64     `json:"size"`
	Files   int       `json:"files"`
	Created time.Time `json:"created"`
	Note    string    `json:"note,omitempty"`
}

// BotRecord is a stored bot.
type BotRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Published is the version serving traffic, 0 for none.
	Published int `json:"published"`
	// PublishHistory lists the versions published before, oldest first;
	// a rollback pops the last one.
	PublishHistory []int        `json:"publish_history,omitempty"`
	Versions       []BotVersion `json:"versions,omitempty"`
	Managed        string       `json:"managed,omitempty"`
	Created        time.Time    `json:"created"`
	Updated        time.Time    `json:"updated"`
}

// Version returns the metadata of version v.
func (b BotRecord) Version(v int) (BotVersion, bool) {
	for _, x := range b.Versions {
		if x.Version == v {
			return x, true
		}
	}
	return BotVersion{}, false
}

// LatestVersion is the highest stored version, 0 when there is none.
func (b BotRecord) LatestVersion() int {
	n := 0
	for _, x := range b.Versions {
		n = max(n, x.Version)
	}
	return n
}

// InstanceRecord is a stored webhook channel instance.
type InstanceRecord struct {
	BotID      string `json:"bot_id"`
	InstanceID string `json:"instance_id"`
	Name       string `json:"name"`
	App        string `json:"app"`
	Mode       Mode   `json:"mode"`
	Enabled    bool   `json:"enabled"`
	Approved   bool   `json:"approved"`
	Rejected   bool   `json:"rejected,omitempty"`
	// ReviewedBy and ReviewNote record the last approval or rejection.
	ReviewedBy  string        `json:"reviewed_by,omitempty"`
	ReviewNote  string        `json:"review_note,omitempty"`
	SyncTimeout time.Duration `json:"sync_timeout,omitempty"`
	PostURL     string        `json:"post_url,omitempty"`
	AccessToken string        `json:"access_token,omitempty"` // sealed
	// SigningSecrets: the current secret first; replaced ones carry Until.
	SigningSecrets    []SealedSecret    `json:"signing_secrets,omitempty"`
	RetrySchedule     []time.Duration   `json:"retry_schedule,omitempty"`
	MaxConcurrency    int               `json:"max_concurrency,omitempty"`
	StandardResponses map[string]string `json:"standard_responses,omitempty"`
	Managed           string            `json:"managed,omitempty"`
	Created           time.Time         `json:"created"`
	Updated           time.Time         `json:"updated"`
}

// Keys of the registry bucket. Ids are validated before they become keys,
// so they hold no '.', '*' or '>'.
const (
	appKeyPrefix  = "app."
	botKeyPrefix  = "bot."
	instKeyPrefix = "inst."
	// firstInstance stands for the empty instance id; '=' is not allowed in
	// instance ids.
	firstInstance = "="
)

// AppKey is the bucket key of an app.
func AppKey(clientID string) string { return appKeyPrefix + clientID }

// BotKey is the bucket key of a bot.
func BotKey(id string) string { return botKeyPrefix + id }

// InstanceKey is the bucket key of an instance.
func InstanceKey(botID, instanceID string) string {
	if instanceID == "" {
		instanceID = firstInstance
	}
	return instKeyPrefix + botID + "." + instanceID
}

// parseInstanceKey is InstanceKey's inverse.
func parseInstanceKey(key string) (botID, instanceID string, ok bool) {
	rest, ok := strings.CutPrefix(key, instKeyPrefix)
	if !ok {
		return "", "", false
	}
	botID, instanceID, ok = strings.Cut(rest, ".")
	if instanceID == firstInstance {
		instanceID = ""
	}
	return botID, instanceID, ok
}

// Additional data of each sealed field.
func aadClientSecret(clientID string) string     { return AppKey(clientID) + "/client_secret" }
func aadJWEKey(clientID string) string           { return AppKey(clientID) + "/jwe_private_key" }
func aadAccessToken(botID, inst string) string   { return InstanceKey(botID, inst) + "/access_token" }
func aadSigningSecret(botID, inst string) string { return InstanceKey(botID, inst) + "/signing_secret" }

// SealAppSecrets seals the plaintext client secret and JWE key into r.
func (s *Sealer) SealAppSecrets(r *AppRecord, clientSecret, jwePrivateKey string) error {
	var err error
	if r.ClientSecret, err = s.Seal(clientSecret, aadClientSecret(r.ClientID)); err != nil {
		return err
	}
	r.JWEPrivateKey, err = s.Seal(jwePrivateKey, aadJWEKey(r.ClientID))
	return err
}

// SealClientSecret seals a client secret of app clientID.
func (s *Sealer) SealClientSecret(clientID, secret string) (string, error) {
	return s.Seal(secret, aadClientSecret(clientID))
}

// SealJWEKey seals a JWE private key of app clientID.
func (s *Sealer) SealJWEKey(clientID, key string) (string, error) {
	return s.Seal(key, aadJWEKey(clientID))
}

// SealAccessToken seals an instance's POST_URL access token.
func (s *Sealer) SealAccessToken(botID, instanceID, token string) (string, error) {
	return s.Seal(token, aadAccessToken(botID, instanceID))
}

// SealSigningSecret seals an instance's signing secret.
func (s *Sealer) SealSigningSecret(botID, instanceID, secret string) (string, error) {
	return s.Seal(secret, aadSigningSecret(botID, instanceID))
}

// OpenApp turns a record into the App services read. Retiring secrets past
// their deadline at now are left out.
func (s *Sealer) OpenApp(r AppRecord, now time.Time) (App, error) {
	a := App{
		ClientID: r.ClientID, Name: r.Name, Algorithms: r.Algorithms,
		EnforceJTI: r.EnforceJTI, RequireExp: r.RequireExp, EnforceJWE: r.EnforceJWE,
		Audiences: r.Audiences, PublicKey: r.PublicKey, JWEKeyID: r.JWEKeyID,
	}
	if len(a.Audiences) == 0 {
		a.Audiences = DefaultAudiences
	}
	var err error
	if a.ClientSecret, err = s.Open(r.ClientSecret, aadClientSecret(r.ClientID)); err != nil {
		return App{}, fmt.Errorf("app %s client secret: %w", r.ClientID, err)
	}
	if a.JWEPrivateKey, err = s.Open(r.JWEPrivateKey, aadJWEKey(r.ClientID)); err != nil {
		return App{}, fmt.Errorf("app %s JWE key: %w", r.ClientID, err)
	}
	for _, rs := range r.RetiringSecrets {
		if !rs.Until.After(now) {
			continue
		}
		sec, err := s.Open(rs.Sealed, aadClientSecret(r.ClientID))
		if err != nil {
			return App{}, fmt.Errorf("app %s retiring secret: %w", r.ClientID, err)
		}
		a.RetiringSecrets = append(a.RetiringSecrets, RetiringSecret{Secret: sec, Until: rs.Until})
	}
	return a, nil
}

// OpenInstance turns a record into the Instance services read. Signing
// secrets past their deadline at now are left out.
func (s *Sealer) OpenInstance(r InstanceRecord, now time.Time) (Instance, error) {
	in := Instance{
		BotID: r.BotID, InstanceID: r.InstanceID, Name: r.Name, App: r.App, Mode: r.Mode,
		Enabled: r.Enabled, Approved: r.Approved, SyncTimeout: r.SyncTimeout, PostURL: r.PostURL,
		RetrySchedule: r.RetrySchedule, MaxConcurrency: r.MaxConcurrency, StandardResponses: r.StandardResponses,
	}
	var err error
	if in.AccessToken, err = s.Open(r.AccessToken, aadAccessToken(r.BotID, r.InstanceID)); err != nil {
		return Instance{}, fmt.Errorf("instance %s/%s access token: %w", r.BotID, r.InstanceID, err)
	}
	for _, ss := range r.SigningSecrets {
		if !ss.Until.IsZero() && !ss.Until.After(now) {
			continue
		}
		sec, err := s.Open(ss.Sealed, aadSigningSecret(r.BotID, r.InstanceID))
		if err != nil {
			return Instance{}, fmt.Errorf("instance %s/%s signing secret: %w", r.BotID, r.InstanceID, err)
		}
		in.SigningSecrets = append(in.SigningSecrets, sec)
	}
	return in, nil
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

// ValidClientID reports whether s has the shape of an app client id.
func ValidClientID(s string) bool { return clientIDPattern.MatchString(s) }

// ValidInstanceID reports whether s is a valid id of a bot's second or later
// instance.
func ValidInstanceID(s string) bool { return instanceIDPattern.MatchString(s) }
