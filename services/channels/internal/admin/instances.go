package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// InstanceInput is the settable part of an instance.
type InstanceInput struct {
	BotID             string
	InstanceID        string
	Name              string
	App               string
	Mode              registry.Mode
	PostURL           string
	SyncTimeout       time.Duration
	RetrySchedule     []time.Duration
	MaxConcurrency    int
	StandardResponses map[string]string
}

func (in InstanceInput) validate() error {
	var errs []error
	if !registry.ValidBotID(in.BotID) {
		errs = append(errs, argErr("instance.bot_id", "%q is not st-<uuid>", in.BotID))
	}
	if in.InstanceID != "" && !registry.ValidInstanceID(in.InstanceID) {
		errs = append(errs, argErr("instance.instance_id", "%q must be 1-64 letters, digits, '-' or '_'", in.InstanceID))
	}
	if len(in.Name) > maxName {
		errs = append(errs, argErr("instance.name", "at most %d characters", maxName))
	}
	if !registry.ValidClientID(in.App) {
		errs = append(errs, argErr("instance.app_client_id", "%q is not cs-<uuid>", in.App))
	}
	errs = append(errs, in.validateDelivery()...)
	if len(in.StandardResponses) > maxOverrides {
		errs = append(errs, argErr("instance.standard_responses", "at most %d", maxOverrides))
	}
	for k, v := range in.StandardResponses {
		if k == "" || len(k) > 200 || len(v) > 4000 {
			errs = append(errs, argErr("instance.standard_responses", "keys of 1-200 characters, values of at most 4000"))
			break
		}
	}
	return errors.Join(errs...)
}

// validateDelivery checks the mode, POST_URL and the delivery overrides.
func (in InstanceInput) validateDelivery() []error {
	var errs []error
	switch in.Mode {
	case registry.ModeSync:
	case registry.ModeAsync:
		if in.PostURL == "" {
			errs = append(errs, argErr("instance.post_url", "required in async mode"))
		}
	default:
		errs = append(errs, argErr("instance.mode", "must be sync or async"))
	}
	if in.PostURL != "" {
		if u, err := url.Parse(in.PostURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, argErr("instance.post_url", "%q is not an http(s) URL", in.PostURL))
		}
	}
	if in.SyncTimeout < 0 || in.SyncTimeout > 5*time.Minute {
		errs = append(errs, argErr("instance.sync_timeout", "must be between 0 (the default) and 5m"))
	}
	if len(in.RetrySchedule) > 50 {
		errs = append(errs, argErr("instance.retry_schedule", "at most 50 attempts"))
	}
	for i, d := range in.RetrySchedule {
		if d < 0 || d > 24*time.Hour {
			errs = append(errs, argErr(fmt.Sprintf("instance.retry_schedule[%d]", i), "must be between 0 and 24h"))
		}
	}
	if in.MaxConcurrency < 0 || in.MaxConcurrency > 10000 {
		errs = append(errs, argErr("instance.max_concurrency", "must be between 0 (the dispatcher default) and 10000"))
	}
	return errs
}

func (in InstanceInput) applyTo(r *registryv1.InstanceRecord) {
	r.Name, r.AppClientId, r.Mode, r.PostUrl = in.Name, in.App, registry.ModeToProto(in.Mode), in.PostURL
	r.SyncTimeout = nil
	if in.SyncTimeout != 0 {
		r.SyncTimeout = durationpb.New(in.SyncTimeout)
	}
	r.RetrySchedule = nil
	for _, d := range in.RetrySchedule {
		r.RetrySchedule = append(r.RetrySchedule, durationpb.New(d))
	}
	r.MaxConcurrency, r.StandardResponses = int32(in.MaxConcurrency), in.StandardResponses
}

// changes reports whether applying in would change r's settable fields.
func (in InstanceInput) changes(r *registryv1.InstanceRecord) bool {
	after := proto.CloneOf(r)
	in.applyTo(after)
	return !proto.Equal(r, after)
}

func checkSigningSecret(i int, s string) error {
	if rest, ok := strings.CutPrefix(s, "whsec_"); ok {
		if b, err := base64.StdEncoding.DecodeString(rest); err != nil || len(b) < 16 {
			return argErr(fmt.Sprintf("signing_secrets[%d]", i), "a whsec_ secret needs at least 16 bytes of base64")
		}
		return nil
	}
	if len(s) < 16 {
		return argErr(fmt.Sprintf("signing_secrets[%d]", i), "must be at least 16 characters")
	}
	return nil
}

// sealSigningSecrets checks and seals an instance's signing secrets, the
// current one first.
func (s *Service) sealSigningSecrets(botID, instanceID string, secrets []string) ([]*registryv1.SealedSecret, error) {
	var out []*registryv1.SealedSecret
	for i, sec := range secrets {
		if err := checkSigningSecret(i, sec); err != nil {
			return nil, err
		}
		sealed, err := s.Sealer.SealSigningSecret(botID, instanceID, sec)
		if err != nil {
			return nil, err
		}
		out = append(out, &registryv1.SealedSecret{Sealed: sealed})
	}
	return out, nil
}

// CreateInstance creates an instance that is neither approved nor enabled.
// signingSecrets are used as given; with generate a new one is made and
// returned.
func (s *Service) CreateInstance(ctx context.Context, in InstanceInput, accessToken string, signingSecrets []string, generate bool, managed string) (*registryv1.InstanceRecord, uint64, string, error) {
	if err := in.validate(); err != nil {
		return nil, 0, "", err
	}
	if err := s.refsExist(ctx, in.BotID, in.App); err != nil {
		return nil, 0, "", err
	}
	generated := ""
	if generate {
		generated = NewSigningSecret()
		signingSecrets = append([]string{generated}, signingSecrets...)
	}
	now := s.stamp()
	rec := &registryv1.InstanceRecord{BotId: in.BotID, InstanceId: in.InstanceID, ManagedBy: managed, CreateTime: now, UpdateTime: now}
	in.applyTo(rec)
	var err error
	if rec.AccessToken, err = s.Sealer.SealAccessToken(in.BotID, in.InstanceID, accessToken); err != nil {
		return nil, 0, "", err
	}
	if rec.SigningSecrets, err = s.sealSigningSecrets(in.BotID, in.InstanceID, signingSecrets); err != nil {
		return nil, 0, "", err
	}
	rev, err := s.Store.Instances.Create(ctx, registry.InstanceKey(in.BotID, in.InstanceID), rec)
	if err != nil {
		return nil, 0, "", err
	}
	return rec, rev, generated, nil
}

func (s *Service) refsExist(ctx context.Context, botID, app string) error {
	if _, _, err := s.Store.Bots.Get(ctx, registry.BotKey(botID)); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("bot %s: %w", botID, store.ErrNotFound)
	} else if err != nil {
		return err
	}
	if _, _, err := s.Store.Apps.Get(ctx, registry.AppKey(app)); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("app %s: %w", app, store.ErrNotFound)
	} else if err != nil {
		return err
	}
	return nil
}

func instKey(botID, instanceID string) (string, error) {
	if !registry.ValidBotID(botID) {
		return "", argErr("bot_id", "%q is not st-<uuid>", botID)
	}
	if instanceID != "" && !registry.ValidInstanceID(instanceID) {
		return "", argErr("instance_id", "%q must be 1-64 letters, digits, '-' or '_'", instanceID)
	}
	return registry.InstanceKey(botID, instanceID), nil
}

// GetInstance reads an instance.
func (s *Service) GetInstance(ctx context.Context, botID, instanceID string) (*registryv1.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	return s.Store.Instances.Get(ctx, key)
}

// UpdateInstance replaces the settable fields and, with setToken, the
// access token.
func (s *Service) UpdateInstance(ctx context.Context, in InstanceInput, expected uint64, setToken bool, token string) (*registryv1.InstanceRecord, uint64, error) {
	if err := in.validate(); err != nil {
		return nil, 0, err
	}
	if err := s.refsExist(ctx, in.BotID, in.App); err != nil {
		return nil, 0, err
	}
	sealed, err := s.Sealer.SealAccessToken(in.BotID, in.InstanceID, token)
	if err != nil {
		return nil, 0, err
	}
	return s.Store.Instances.Update(ctx, registry.InstanceKey(in.BotID, in.InstanceID), expected, func(r *registryv1.InstanceRecord) error {
		if !in.changes(r) && !setToken {
			return store.ErrUnchanged
		}
		in.applyTo(r)
		if setToken {
			r.AccessToken = sealed
		}
		r.UpdateTime = s.stamp()
		return nil
	})
}

// DeleteInstance deletes an instance; its webhook answers 404 at once.
func (s *Service) DeleteInstance(ctx context.Context, botID, instanceID string, expected uint64) error {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return err
	}
	return s.Store.Instances.Delete(ctx, key, expected)
}

// RotateSigningSecret puts a new signing secret first (newSecret, or a
// generated one); the previous current one stays valid for overlap.
func (s *Service) RotateSigningSecret(ctx context.Context, botID, instanceID string, overlap *time.Duration, newSecret string) (*registryv1.InstanceRecord, uint64, string, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return nil, 0, "", err
	}
	ov, err := s.overlap(overlap)
	if err != nil {
		return nil, 0, "", err
	}
	if newSecret == "" {
		newSecret = NewSigningSecret()
	} else if err := checkSigningSecret(0, newSecret); err != nil {
		return nil, 0, "", err
	}
	sealed, err := s.Sealer.SealSigningSecret(botID, instanceID, newSecret)
	if err != nil {
		return nil, 0, "", err
	}
	rec, rev, err := s.Store.Instances.Update(ctx, key, 0, func(r *registryv1.InstanceRecord) error {
		now := s.now()
		kept := []*registryv1.SealedSecret{{Sealed: sealed}}
		for _, ss := range pruneExpired(r.GetSigningSecrets(), now) {
			switch {
			case ss.GetUntil() != nil:
				kept = append(kept, ss)
			case ov > 0:
				kept = append(kept, &registryv1.SealedSecret{Sealed: ss.GetSealed(), Until: timestamppb.New(now.Add(ov))})
			}
		}
		r.SigningSecrets, r.UpdateTime = kept, timestamppb.New(now)
		return nil
	})
	if err != nil {
		return nil, 0, "", err
	}
	return rec, rev, newSecret, nil
}

// ListInstances pages through the instances, of one bot when botID is set.
func (s *Service) ListInstances(ctx context.Context, botID string, size int, token string) ([]store.Record[*registryv1.InstanceRecord], string, error) {
	if botID != "" && !registry.ValidBotID(botID) {
		return nil, "", argErr("bot_id", "%q is not st-<uuid>", botID)
	}
	if !s.Store.Instances.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Instances.Page(ctx, botID, pageSize(size), token)
}
