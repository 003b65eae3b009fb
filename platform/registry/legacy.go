package registry

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// Registries written before the records became protobuf messages hold JSON
// values. They are still read, so that an existing data directory keeps its
// channels; the channels service rewrites a record as protobuf the next time
// it changes it. A protobuf record never starts with '{': that byte would be
// the tag of a group, which proto3 messages do not have.

func isLegacyJSON(b []byte) bool { return len(b) > 0 && b[0] == '{' }

type legacySealed struct {
	Sealed string    `json:"sealed"`
	Until  time.Time `json:"until"`
}

type legacyApp struct {
	ClientID        string         `json:"client_id"`
	Name            string         `json:"name"`
	Algorithms      []string       `json:"algorithms"`
	EnforceJTI      bool           `json:"enforce_jti"`
	RequireExp      bool           `json:"require_exp"`
	EnforceJWE      bool           `json:"enforce_jwe"`
	Audiences       []string       `json:"audiences"`
	PublicKey       string         `json:"public_key"`
	ClientSecret    string         `json:"client_secret"`
	RetiringSecrets []legacySealed `json:"retiring_secrets"`
	JWEPrivateKey   string         `json:"jwe_private_key"`
	JWEKeyID        string         `json:"jwe_key_id"`
	Managed         string         `json:"managed"`
	Created         time.Time      `json:"created"`
	Updated         time.Time      `json:"updated"`
}

type legacyBotVersion struct {
	Version int       `json:"version"`
	Digest  string    `json:"digest"`
	Size    int64     `json:"size"`
	Files   int       `json:"files"`
	Created time.Time `json:"created"`
	Note    string    `json:"note"`
}

type legacyBot struct {
	ID             string             `json:"id"`
	Name           string             `json:"name"`
	Published      int                `json:"published"`
	PublishHistory []int              `json:"publish_history"`
	Versions       []legacyBotVersion `json:"versions"`
	Managed        string             `json:"managed"`
	Created        time.Time          `json:"created"`
	Updated        time.Time          `json:"updated"`
}

type legacyInstance struct {
	BotID             string            `json:"bot_id"`
	InstanceID        string            `json:"instance_id"`
	Name              string            `json:"name"`
	App               string            `json:"app"`
	Mode              Mode              `json:"mode"`
	Enabled           bool              `json:"enabled"`
	Approved          bool              `json:"approved"`
	Rejected          bool              `json:"rejected"`
	ReviewedBy        string            `json:"reviewed_by"`
	ReviewNote        string            `json:"review_note"`
	SyncTimeout       time.Duration     `json:"sync_timeout"`
	PostURL           string            `json:"post_url"`
	AccessToken       string            `json:"access_token"`
	SigningSecrets    []legacySealed    `json:"signing_secrets"`
	RetrySchedule     []time.Duration   `json:"retry_schedule"`
	MaxConcurrency    int               `json:"max_concurrency"`
	StandardResponses map[string]string `json:"standard_responses"`
	Managed           string            `json:"managed"`
	Created           time.Time         `json:"created"`
	Updated           time.Time         `json:"updated"`
}

// legacyTime is the stored form of t; JSON records wrote unset times as
// the zero time.
func legacyTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func sealedFromLegacy(in []legacySealed) []*registryv1.SealedSecret {
	var out []*registryv1.SealedSecret
	for _, s := range in {
		out = append(out, &registryv1.SealedSecret{Sealed: s.Sealed, Until: legacyTime(s.Until)})
	}
	return out
}

func decodeLegacyApp(b []byte) (*registryv1.AppRecord, error) {
	var r legacyApp
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode JSON registry record: %w", err)
	}
	return &registryv1.AppRecord{
		ClientId: r.ClientID, Name: r.Name, Algorithms: r.Algorithms,
		EnforceJti: r.EnforceJTI, RequireExp: r.RequireExp, EnforceJwe: r.EnforceJWE,
		Audiences: r.Audiences, PublicKeyPem: r.PublicKey, ClientSecret: r.ClientSecret,
		RetiringSecrets: sealedFromLegacy(r.RetiringSecrets), JwePrivateKey: r.JWEPrivateKey,
		JweKeyId: r.JWEKeyID, ManagedBy: r.Managed, CreateTime: legacyTime(r.Created), UpdateTime: legacyTime(r.Updated),
	}, nil
}

func decodeLegacyBot(b []byte) (*registryv1.BotRecord, error) {
	var r legacyBot
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode JSON registry record: %w", err)
	}
	out := &registryv1.BotRecord{
		Id: r.ID, Name: r.Name, PublishedVersion: int32(r.Published), ManagedBy: r.Managed,
		CreateTime: legacyTime(r.Created), UpdateTime: legacyTime(r.Updated),
	}
	for _, v := range r.PublishHistory {
		out.PublishHistory = append(out.PublishHistory, int32(v))
	}
	for _, v := range r.Versions {
		out.Versions = append(out.Versions, &registryv1.BotVersion{
			Version: int32(v.Version), Digest: v.Digest, SizeBytes: v.Size, Files: int32(v.Files),
			CreateTime: legacyTime(v.Created), Note: v.Note,
		})
	}
	return out, nil
}

func decodeLegacyInstance(b []byte) (*registryv1.InstanceRecord, error) {
	var r legacyInstance
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode JSON registry record: %w", err)
	}
	out := &registryv1.InstanceRecord{
		BotId: r.BotID, InstanceId: r.InstanceID, Name: r.Name, AppClientId: r.App, Mode: ModeToProto(r.Mode),
		Enabled: r.Enabled, Approved: r.Approved, Rejected: r.Rejected, ReviewedBy: r.ReviewedBy, ReviewNote: r.ReviewNote,
		PostUrl: r.PostURL, AccessToken: r.AccessToken, SigningSecrets: sealedFromLegacy(r.SigningSecrets),
		MaxConcurrency: int32(r.MaxConcurrency), StandardResponses: r.StandardResponses, ManagedBy: r.Managed,
		CreateTime: legacyTime(r.Created), UpdateTime: legacyTime(r.Updated),
	}
	if r.SyncTimeout != 0 {
		out.SyncTimeout = durationpb.New(r.SyncTimeout)
	}
	for _, d := range r.RetrySchedule {
		out.RetrySchedule = append(out.RetrySchedule, durationpb.New(d))
	}
	return out, nil
}
