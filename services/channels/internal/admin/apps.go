package admin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// AppInput is the settable part of an app.
type AppInput struct {
	ClientID   string
	Name       string
	Algorithms []string
	EnforceJTI bool
	RequireExp bool
	EnforceJWE bool
	Audiences  []string
	PublicKey  string
}

func (in AppInput) validate() error {
	var errs []error
	if in.Name == "" || len(in.Name) > maxName {
		errs = append(errs, argErr("app.name", "required, at most %d characters", maxName))
	}
	if len(in.Algorithms) == 0 {
		errs = append(errs, argErr("app.algorithms", "at least one of HS256, HS512, RS256, RS512 is required"))
	}
	for i, a := range in.Algorithms {
		if !slices.Contains(registry.Algorithms, a) {
			errs = append(errs, argErr(fmt.Sprintf("app.algorithms[%d]", i), "%q is not HS256, HS512, RS256 or RS512", a))
		}
	}
	app := registry.App{Algorithms: in.Algorithms}
	if app.UsesRSA() && in.PublicKey == "" {
		errs = append(errs, argErr("app.public_key_pem", "required for RS256 and RS512"))
	}
	if in.PublicKey != "" {
		if _, err := registry.ParseRSAPublicKey(in.PublicKey); err != nil {
			errs = append(errs, argErr("app.public_key_pem", "%v", err))
		}
	}
	if len(in.Audiences) > maxAudiences {
		errs = append(errs, argErr("app.audiences", "at most %d", maxAudiences))
	}
	for i, a := range in.Audiences {
		if u, err := url.Parse(a); err != nil || a == "" || u.Scheme == "" {
			errs = append(errs, argErr(fmt.Sprintf("app.audiences[%d]", i), "%q is not an absolute URI", a))
		}
	}
	return errors.Join(errs...)
}

func checkClientSecret(secret string) error {
	if len(secret) < 16 || len(secret) > 512 {
		return argErr("client_secret", "must be 16 to 512 characters")
	}
	return nil
}

func (in AppInput) applyTo(r *registryv1.AppRecord) {
	r.Name, r.Algorithms, r.EnforceJti, r.RequireExp = in.Name, in.Algorithms, in.EnforceJTI, in.RequireExp
	r.EnforceJwe, r.Audiences, r.PublicKeyPem = in.EnforceJWE, in.Audiences, in.PublicKey
}

// changes reports whether applying in would change r's settable fields.
func (in AppInput) changes(r *registryv1.AppRecord) bool {
	after := proto.CloneOf(r)
	in.applyTo(after)
	return !proto.Equal(r, after)
}

// CreateApp creates an app with a new JWE key pair (or jweKey when given).
// secret is generated when empty; it is returned in clear only here.
func (s *Service) CreateApp(ctx context.Context, in AppInput, secret, jweKey, managed string) (*registryv1.AppRecord, uint64, string, error) {
	if in.ClientID == "" {
		in.ClientID = NewClientID()
	} else if !registry.ValidClientID(in.ClientID) {
		return nil, 0, "", argErr("app.client_id", "%q is not cs-<uuid>", in.ClientID)
	}
	if err := in.validate(); err != nil {
		return nil, 0, "", err
	}
	if secret == "" {
		secret = NewSecret()
	} else if err := checkClientSecret(secret); err != nil {
		return nil, 0, "", err
	}
	kid := ""
	if jweKey == "" {
		var err error
		if jweKey, kid, err = GenerateJWEKey(); err != nil {
			return nil, 0, "", err
		}
	} else {
		jwk, err := PublicJWK(jweKey, "")
		if err != nil {
			return nil, 0, "", argErr("app.jwe_private_key", "%v", err)
		}
		kid = jwk.Kid
	}
	now := s.stamp()
	rec := &registryv1.AppRecord{ClientId: in.ClientID, JweKeyId: kid, ManagedBy: managed, CreateTime: now, UpdateTime: now}
	in.applyTo(rec)
	if err := s.Sealer.SealAppSecrets(rec, secret, jweKey); err != nil {
		return nil, 0, "", err
	}
	rev, err := s.Store.Apps.Create(ctx, registry.AppKey(rec.GetClientId()), rec)
	if err != nil {
		return nil, 0, "", err
	}
	return rec, rev, secret, nil
}

// GetApp reads an app.
func (s *Service) GetApp(ctx context.Context, id string) (*registryv1.AppRecord, uint64, error) {
	if !registry.ValidClientID(id) {
		return nil, 0, argErr("client_id", "%q is not cs-<uuid>", id)
	}
	return s.Store.Apps.Get(ctx, registry.AppKey(id))
}

// UpdateApp replaces the settable fields.
func (s *Service) UpdateApp(ctx context.Context, in AppInput, expected uint64) (*registryv1.AppRecord, uint64, error) {
	if !registry.ValidClientID(in.ClientID) {
		return nil, 0, argErr("app.client_id", "%q is not cs-<uuid>", in.ClientID)
	}
	if err := in.validate(); err != nil {
		return nil, 0, err
	}
	return s.Store.Apps.Update(ctx, registry.AppKey(in.ClientID), expected, func(r *registryv1.AppRecord) error {
		if !in.changes(r) {
			return store.ErrUnchanged
		}
		in.applyTo(r)
		r.UpdateTime = s.stamp()
		return nil
	})
}

// DeleteApp deletes an app no instance uses.
func (s *Service) DeleteApp(ctx context.Context, id string, expected uint64) error {
	if !registry.ValidClientID(id) {
		return argErr("client_id", "%q is not cs-<uuid>", id)
	}
	insts, err := s.allInstances(ctx, "")
	if err != nil {
		return err
	}
	for _, in := range insts {
		if in.GetAppClientId() == id {
			return precondition("app %s is used by instance %q of bot %s; move or delete the instance first", id, in.GetInstanceId(), in.GetBotId())
		}
	}
	return s.Store.Apps.Delete(ctx, registry.AppKey(id), expected)
}

// RotateAppSecret replaces the client secret (newSecret, or a generated
// one); the old one stays valid for overlap (Service.Overlap when nil).
func (s *Service) RotateAppSecret(ctx context.Context, id string, overlap *time.Duration, newSecret string) (*registryv1.AppRecord, uint64, string, error) {
	if !registry.ValidClientID(id) {
		return nil, 0, "", argErr("client_id", "%q is not cs-<uuid>", id)
	}
	ov, err := s.overlap(overlap)
	if err != nil {
		return nil, 0, "", err
	}
	if newSecret == "" {
		newSecret = NewSecret()
	} else if err := checkClientSecret(newSecret); err != nil {
		return nil, 0, "", err
	}
	sealed, err := s.Sealer.SealClientSecret(id, newSecret)
	if err != nil {
		return nil, 0, "", err
	}
	rec, rev, err := s.Store.Apps.Update(ctx, registry.AppKey(id), 0, func(r *registryv1.AppRecord) error {
		now := s.now()
		r.RetiringSecrets = pruneExpired(r.RetiringSecrets, now)
		if ov > 0 && r.GetClientSecret() != "" {
			r.RetiringSecrets = append(r.RetiringSecrets, &registryv1.SealedSecret{Sealed: r.GetClientSecret(), Until: timestamppb.New(now.Add(ov))})
		}
		r.ClientSecret, r.UpdateTime = sealed, timestamppb.New(now)
		return nil
	})
	if err != nil {
		return nil, 0, "", err
	}
	return rec, rev, newSecret, nil
}

// RotateJWEKey replaces the app's JWE key pair. Tokens encrypted to the old
// key are refused at once: clients fetch the new JWK first.
func (s *Service) RotateJWEKey(ctx context.Context, id string) (*registryv1.AppRecord, uint64, error) {
	if !registry.ValidClientID(id) {
		return nil, 0, argErr("client_id", "%q is not cs-<uuid>", id)
	}
	key, kid, err := GenerateJWEKey()
	if err != nil {
		return nil, 0, err
	}
	return s.setJWEKey(ctx, id, key, kid)
}

// setJWEKey stores a JWE private key and its key id.
func (s *Service) setJWEKey(ctx context.Context, id, key, kid string) (*registryv1.AppRecord, uint64, error) {
	sealed, err := s.Sealer.SealJWEKey(id, key)
	if err != nil {
		return nil, 0, err
	}
	return s.Store.Apps.Update(ctx, registry.AppKey(id), 0, func(r *registryv1.AppRecord) error {
		r.JwePrivateKey, r.JweKeyId, r.UpdateTime = sealed, kid, s.stamp()
		return nil
	})
}

// AppJWK returns the public JWK of the app's JWE key.
func (s *Service) AppJWK(r *registryv1.AppRecord) (JWK, error) {
	app, err := s.Sealer.OpenApp(r, s.now())
	if err != nil || app.JWEPrivateKey == "" {
		return JWK{}, err
	}
	return PublicJWK(app.JWEPrivateKey, app.JWEKeyID)
}

// ListApps pages through the apps.
func (s *Service) ListApps(ctx context.Context, size int, token string) ([]store.Record[*registryv1.AppRecord], string, error) {
	if !s.Store.Apps.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Apps.Page(ctx, "", pageSize(size), token)
}
