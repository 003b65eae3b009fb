package grpcadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

var algToProto = map[string]channelsv1.Algorithm{
	registry.HS256: channelsv1.Algorithm_ALGORITHM_HS256,
	registry.HS512: channelsv1.Algorithm_ALGORITHM_HS512,
	registry.RS256: channelsv1.Algorithm_ALGORITHM_RS256,
	registry.RS512: channelsv1.Algorithm_ALGORITHM_RS512,
}

func algsFromProto(in []channelsv1.Algorithm) ([]string, error) {
	out := make([]string, 0, len(in))
	for i, a := range in {
		found := false
		for name, p := range algToProto {
			if p == a {
				out = append(out, name)
				found = true
			}
		}
		if !found {
			return nil, &admin.ArgError{Field: fmt.Sprintf("app.algorithms[%d]", i), Msg: fmt.Sprintf("%v is not HS256, HS512, RS256 or RS512", a)}
		}
	}
	return out, nil
}

func (s *Server) appProto(r *registryv1.AppRecord, rev uint64) *channelsv1.App {
	out := &channelsv1.App{
		ClientId: r.GetClientId(), Name: r.GetName(), EnforceJti: r.GetEnforceJti(), EnforceJwe: r.GetEnforceJwe(),
		RequireExp: r.GetRequireExp(), Audiences: r.GetAudiences(), PublicKeyPem: r.GetPublicKeyPem(),
		ManagedBy: r.GetManagedBy(), Revision: rev, CreateTime: r.GetCreateTime(), UpdateTime: r.GetUpdateTime(),
	}
	for _, a := range r.GetAlgorithms() {
		out.Algorithms = append(out.Algorithms, algToProto[a])
	}
	now := time.Now()
	for _, rs := range r.GetRetiringSecrets() {
		if rs.GetUntil() != nil && !registry.Expired(rs, now) {
			out.RetiringSecretsUntil = append(out.RetiringSecretsUntil, rs.GetUntil())
		}
	}
	if jwk, err := s.Admin.AppJWK(r); err == nil && jwk.N != "" {
		b, _ := json.Marshal(jwk)
		out.JwePublicJwk = string(b)
	}
	return out
}

func appInput(a *channelsv1.App) (admin.AppInput, error) {
	if a == nil {
		return admin.AppInput{}, &admin.ArgError{Field: "app", Msg: "required"}
	}
	algs, err := algsFromProto(a.GetAlgorithms())
	if err != nil {
		return admin.AppInput{}, err
	}
	return admin.AppInput{
		ClientID: a.GetClientId(), Name: a.GetName(), Algorithms: algs, EnforceJTI: a.GetEnforceJti(),
		RequireExp: a.GetRequireExp(), EnforceJWE: a.GetEnforceJwe(), Audiences: a.GetAudiences(), PublicKey: a.GetPublicKeyPem(),
	}, nil
}

// ListApps lists apps without their secrets.
func (s *Server) ListApps(ctx context.Context, req *channelsv1.ListAppsRequest) (*channelsv1.ListAppsResponse, error) {
	recs, next, err := s.Admin.ListApps(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &channelsv1.ListAppsResponse{NextPageToken: next}
	for _, r := range recs {
		resp.Apps = append(resp.Apps, s.appProto(r.Value, r.Revision))
	}
	return resp, nil
}

// CreateApp creates an app and returns its secret, once.
func (s *Server) CreateApp(ctx context.Context, req *channelsv1.CreateAppRequest) (*channelsv1.AppWithSecret, error) {
	in, err := appInput(req.GetApp())
	if err != nil {
		return nil, err
	}
	rec, rev, secret, err := s.Admin.CreateApp(ctx, in, req.GetClientSecret(), "", store.ManagedByAPI)
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return &channelsv1.AppWithSecret{App: s.appProto(rec, rev), ClientSecret: secret}, nil
}

// GetApp returns an app without its secrets.
func (s *Server) GetApp(ctx context.Context, req *channelsv1.GetAppRequest) (*channelsv1.App, error) {
	rec, rev, err := s.Admin.GetApp(ctx, req.GetClientId())
	if err != nil {
		return nil, err
	}
	return s.appProto(rec, rev), nil
}

// UpdateApp replaces an app's settable fields.
func (s *Server) UpdateApp(ctx context.Context, req *channelsv1.UpdateAppRequest) (*channelsv1.App, error) {
	in, err := appInput(req.GetApp())
	if err != nil {
		return nil, err
	}
	rec, rev, err := s.Admin.UpdateApp(ctx, in, req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return s.appProto(rec, rev), nil
}

// DeleteApp deletes an app no instance uses.
func (s *Server) DeleteApp(ctx context.Context, req *channelsv1.DeleteAppRequest) (*channelsv1.DeleteResponse, error) {
	if err := s.Admin.DeleteApp(ctx, req.GetClientId(), req.GetExpectedRevision()); err != nil {
		return nil, err
	}
	return &channelsv1.DeleteResponse{}, nil
}

// RotateAppSecret replaces the client secret and returns the new one, once.
func (s *Server) RotateAppSecret(ctx context.Context, req *channelsv1.RotateAppSecretRequest) (*channelsv1.AppWithSecret, error) {
	rec, rev, secret, err := s.Admin.RotateAppSecret(ctx, req.GetClientId(), overlapArg(req.GetOverlap()), "")
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return &channelsv1.AppWithSecret{App: s.appProto(rec, rev), ClientSecret: secret}, nil
}

// RotateJWEKey replaces the app's JWE key pair.
func (s *Server) RotateJWEKey(ctx context.Context, req *channelsv1.RotateJWEKeyRequest) (*channelsv1.App, error) {
	rec, rev, err := s.Admin.RotateJWEKey(ctx, req.GetClientId())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return s.appProto(rec, rev), nil
}
