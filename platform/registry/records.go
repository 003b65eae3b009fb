package registry

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// The stored registry is a KV bucket of registryv1 records, encoded with
// proto.Marshal, and an object store of bot archives. The channels service
// writes both; this file is what writer and readers must agree on: names,
// keys, the additional data of sealed fields, and the encoding.

// Bucket base names; the bus prefix is prepended by the caller.
const (
	// RegistryBucket is the KV bucket of app, bot and instance records.
	RegistryBucket = "parley_registry"
	// BotsBucket is the object store of bot definition archives.
	BotsBucket = "parley_bots"
)

// Key prefixes of the registry bucket. Ids are validated before they become
// keys, so they hold no '.', '*' or '>'.
const (
	AppKeyPrefix      = "app."
	BotKeyPrefix      = "bot."
	InstanceKeyPrefix = "inst."
	// firstInstance stands for the empty instance id; '=' is not allowed in
	// instance ids.
	firstInstance = "="
)

// AppKey is the bucket key of an app.
func AppKey(clientID string) string { return AppKeyPrefix + clientID }

// BotKey is the bucket key of a bot.
func BotKey(id string) string { return BotKeyPrefix + id }

// InstanceKey is the bucket key of an instance.
func InstanceKey(botID, instanceID string) string {
	if instanceID == "" {
		instanceID = firstInstance
	}
	return InstanceKeyPrefix + botID + "." + instanceID
}

// ParseInstanceKey is InstanceKey's inverse.
func ParseInstanceKey(key string) (botID, instanceID string, ok bool) {
	rest, ok := strings.CutPrefix(key, InstanceKeyPrefix)
	if !ok {
		return "", "", false
	}
	botID, instanceID, ok = strings.Cut(rest, ".")
	if instanceID == firstInstance {
		instanceID = ""
	}
	return botID, instanceID, ok
}

// Additional data of each sealed field: the record's key and the field, so
// that a sealed value does not open in another record or field.

// ClientSecretAAD is the additional data of an app's current and retiring
// client secrets.
func ClientSecretAAD(clientID string) string { return AppKey(clientID) + "/client_secret" }

// JWEKeyAAD is the additional data of an app's JWE private key.
func JWEKeyAAD(clientID string) string { return AppKey(clientID) + "/jwe_private_key" }

// AccessTokenAAD is the additional data of an instance's POST_URL token.
func AccessTokenAAD(botID, instanceID string) string {
	return InstanceKey(botID, instanceID) + "/access_token"
}

// SigningSecretAAD is the additional data of an instance's signing secrets.
func SigningSecretAAD(botID, instanceID string) string {
	return InstanceKey(botID, instanceID) + "/signing_secret"
}

// BotObjectName is the object holding a bot archive. Archives are named by
// their content digest: immutable, shared by versions with equal content,
// and safe against two importers racing for the same version number.
func BotObjectName(botID, digest string) string {
	return botID + "/" + strings.TrimPrefix(digest, "sha256:") + ".tar.gz"
}

// FindBotVersion returns the metadata of version v of a bot.
func FindBotVersion(r *registryv1.BotRecord, v int32) (*registryv1.BotVersion, bool) {
	for _, x := range r.GetVersions() {
		if x.GetVersion() == v {
			return x, true
		}
	}
	return nil, false
}

// ModeToProto is the stored form of an integration mode.
func ModeToProto(m Mode) registryv1.Mode {
	switch m {
	case ModeSync:
		return registryv1.Mode_MODE_SYNC
	case ModeAsync:
		return registryv1.Mode_MODE_ASYNC
	}
	return registryv1.Mode_MODE_UNSPECIFIED
}

// ModeFromProto is ModeToProto's inverse.
func ModeFromProto(m registryv1.Mode) Mode {
	switch m {
	case registryv1.Mode_MODE_SYNC:
		return ModeSync
	case registryv1.Mode_MODE_ASYNC:
		return ModeAsync
	}
	return ""
}

// Expired reports whether a sealed secret has a deadline that is not after
// now. A secret without a deadline never expires.
func Expired(s *registryv1.SealedSecret, now time.Time) bool {
	return s.GetUntil() != nil && !s.GetUntil().AsTime().After(now)
}

// Encode is the stored form of a record. It is deterministic, so equal
// records are equal bytes.
func Encode(rec proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(rec)
}

// DecodeApp reads a stored app record.
func DecodeApp(b []byte) (*registryv1.AppRecord, error) {
	if isLegacyJSON(b) {
		return decodeLegacyApp(b)
	}
	return unmarshal(b, &registryv1.AppRecord{})
}

// DecodeBot reads a stored bot record.
func DecodeBot(b []byte) (*registryv1.BotRecord, error) {
	if isLegacyJSON(b) {
		return decodeLegacyBot(b)
	}
	return unmarshal(b, &registryv1.BotRecord{})
}

// DecodeInstance reads a stored instance record.
func DecodeInstance(b []byte) (*registryv1.InstanceRecord, error) {
	if isLegacyJSON(b) {
		return decodeLegacyInstance(b)
	}
	return unmarshal(b, &registryv1.InstanceRecord{})
}

func unmarshal[M proto.Message](b []byte, m M) (M, error) {
	if err := proto.Unmarshal(b, m); err != nil {
		var zero M
		return zero, fmt.Errorf("decode registry record: %w", err)
	}
	return m, nil
}
