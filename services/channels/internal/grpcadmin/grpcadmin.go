// Package grpcadmin serves the channels admin API over gRPC: it converts
// between protobuf and the admin operations; Guard authenticates calls and
// maps errors to status codes.
package grpcadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
)

// Server implements ChannelAdmin over the KV registry.
type Server struct {
	channelsv1.UnimplementedChannelAdminServer
	Admin *admin.Service
	// Sync, when set, waits until the local view has applied a write's
	// revision, so that a caller reading through the view sees its write.
	Sync func(ctx context.Context, rev uint64) error
}

func (s *Server) synced(ctx context.Context, rev uint64) {
	if s.Sync != nil && rev != 0 {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_ = s.Sync(wctx, rev) // best effort: the write itself succeeded
	}
}

// ---- conversions ----

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

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func (s *Server) appProto(r registry.AppRecord, rev uint64) *channelsv1.App {
	out := &channelsv1.App{
		ClientId: r.ClientID, Name: r.Name, EnforceJti: r.EnforceJTI, EnforceJwe: r.EnforceJWE, RequireExp: r.RequireExp,
		Audiences: r.Audiences, PublicKeyPem: r.PublicKey, ManagedBy: r.Managed, Revision: rev,
		CreateTime: ts(r.Created), UpdateTime: ts(r.Updated),
	}
	for _, a := range r.Algorithms {
		out.Algorithms = append(out.Algorithms, algToProto[a])
	}
	now := time.Now()
	for _, rs := range r.RetiringSecrets {
		if rs.Until.After(now) {
			out.RetiringSecretsUntil = append(out.RetiringSecretsUntil, timestamppb.New(rs.Until))
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

func botProto(r registry.BotRecord, rev uint64) *channelsv1.Bot {
	out := &channelsv1.Bot{
		Id: r.ID, Name: r.Name, PublishedVersion: int32(r.Published), ManagedBy: r.Managed, Revision: rev,
		CreateTime: ts(r.Created), UpdateTime: ts(r.Updated),
	}
	for _, v := range r.PublishHistory {
		out.PublishHistory = append(out.PublishHistory, int32(v))
	}
	for _, v := range r.Versions {
		out.Versions = append(out.Versions, &channelsv1.BotVersion{
			Version: int32(v.Version), Digest: v.Digest, SizeBytes: v.Size, Files: int32(v.Files), CreateTime: ts(v.Created), Note: v.Note,
		})
	}
	return out
}

func instProto(r registry.InstanceRecord, rev uint64) *channelsv1.WebhookInstance {
	mode := channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC
	if r.Mode == registry.ModeAsync {
		mode = channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC
	}
	out := &channelsv1.WebhookInstance{
		BotId: r.BotID, InstanceId: r.InstanceID, Name: r.Name, AppClientId: r.App, Mode: mode, PostUrl: r.PostURL,
		Enabled: r.Enabled, Approved: r.Approved, Rejected: r.Rejected, ReviewedBy: r.ReviewedBy, ReviewNote: r.ReviewNote,
		MaxConcurrency: int32(r.MaxConcurrency), StandardResponses: r.StandardResponses, HasAccessToken: r.AccessToken != "",
		ManagedBy: r.Managed, Revision: rev, CreateTime: ts(r.Created), UpdateTime: ts(r.Updated),
	}
	if r.SyncTimeout > 0 {
		out.SyncTimeout = durationpb.New(r.SyncTimeout)
	}
	for _, d := range r.RetrySchedule {
		out.RetrySchedule = append(out.RetrySchedule, durationpb.New(d))
	}
	now := time.Now()
	for _, ss := range r.SigningSecrets {
		if ss.Until.IsZero() || ss.Until.After(now) {
			out.SigningSecrets++
		}
	}
	return out
}

func instInput(p *channelsv1.WebhookInstance) (admin.InstanceInput, error) {
	if p == nil {
		return admin.InstanceInput{}, &admin.ArgError{Field: "instance", Msg: "required"}
	}
	in := admin.InstanceInput{
		BotID: p.GetBotId(), InstanceID: p.GetInstanceId(), Name: p.GetName(), App: p.GetAppClientId(),
		PostURL: p.GetPostUrl(), MaxConcurrency: int(p.GetMaxConcurrency()), StandardResponses: p.GetStandardResponses(),
	}
	switch p.GetMode() {
	case channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC:
		in.Mode = registry.ModeSync
	case channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC:
		in.Mode = registry.ModeAsync
	default:
		return in, &admin.ArgError{Field: "instance.mode", Msg: "must be INTEGRATION_MODE_SYNC or INTEGRATION_MODE_ASYNC"}
	}
	if p.GetSyncTimeout() != nil {
		in.SyncTimeout = p.GetSyncTimeout().AsDuration()
	}
	for _, d := range p.GetRetrySchedule() {
		in.RetrySchedule = append(in.RetrySchedule, d.AsDuration())
	}
	return in, nil
}

func overlapArg(d *durationpb.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v := d.AsDuration()
	return &v
}

// ---- apps ----

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
	rec, rev, secret, err := s.Admin.CreateApp(ctx, in, req.GetClientSecret(), "", registry.ManagedByAPI)
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

// ---- bots ----

// ListBots lists bots.
func (s *Server) ListBots(ctx context.Context, req *channelsv1.ListBotsRequest) (*channelsv1.ListBotsResponse, error) {
	recs, next, err := s.Admin.ListBots(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &channelsv1.ListBotsResponse{NextPageToken: next}
	for _, r := range recs {
		resp.Bots = append(resp.Bots, botProto(r.Value, r.Revision))
	}
	return resp, nil
}

// CreateBot creates a bot without versions.
func (s *Server) CreateBot(ctx context.Context, req *channelsv1.CreateBotRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.CreateBot(ctx, req.GetBot().GetId(), req.GetBot().GetName(), registry.ManagedByAPI)
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return botProto(rec, rev), nil
}

// GetBot returns a bot and its versions.
func (s *Server) GetBot(ctx context.Context, req *channelsv1.GetBotRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.GetBot(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return botProto(rec, rev), nil
}

// UpdateBot renames a bot.
func (s *Server) UpdateBot(ctx context.Context, req *channelsv1.UpdateBotRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.RenameBot(ctx, req.GetBot().GetId(), req.GetBot().GetName(), req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return botProto(rec, rev), nil
}

// DeleteBot deletes a bot without instances.
func (s *Server) DeleteBot(ctx context.Context, req *channelsv1.DeleteBotRequest) (*channelsv1.DeleteResponse, error) {
	if err := s.Admin.DeleteBot(ctx, req.GetId(), req.GetExpectedRevision()); err != nil {
		return nil, err
	}
	return &channelsv1.DeleteResponse{}, nil
}

// ImportBot stores a bot directory as a new version.
func (s *Server) ImportBot(ctx context.Context, req *channelsv1.ImportBotRequest) (*channelsv1.ImportBotResponse, error) {
	rec, rev, v, created, err := s.Admin.ImportBot(ctx, req.GetBotId(), req.GetArchive(), req.GetPublish(), req.GetNote(), registry.ManagedByAPI)
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return &channelsv1.ImportBotResponse{Bot: botProto(rec, rev), Version: int32(v), NewVersion: created}, nil
}

// ExportBot returns a version's directory as a tar.gz.
func (s *Server) ExportBot(ctx context.Context, req *channelsv1.ExportBotRequest) (*channelsv1.ExportBotResponse, error) {
	b, meta, err := s.Admin.ExportBot(ctx, req.GetBotId(), int(req.GetVersion()))
	if err != nil {
		return nil, err
	}
	return &channelsv1.ExportBotResponse{Archive: b, Version: int32(meta.Version), Digest: meta.Digest}, nil
}

// PublishBotVersion makes a version serve traffic.
func (s *Server) PublishBotVersion(ctx context.Context, req *channelsv1.PublishBotVersionRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.PublishBotVersion(ctx, req.GetBotId(), int(req.GetVersion()), req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return botProto(rec, rev), nil
}

// RollbackBot re-publishes the previously published version.
func (s *Server) RollbackBot(ctx context.Context, req *channelsv1.RollbackBotRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.RollbackBot(ctx, req.GetBotId(), req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return botProto(rec, rev), nil
}

// ---- instances ----

// ListWebhookInstances lists instances, optionally of one bot.
func (s *Server) ListWebhookInstances(ctx context.Context, req *channelsv1.ListWebhookInstancesRequest) (*channelsv1.ListWebhookInstancesResponse, error) {
	recs, next, err := s.Admin.ListInstances(ctx, req.GetBotId(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &channelsv1.ListWebhookInstancesResponse{NextPageToken: next}
	for _, r := range recs {
		resp.Instances = append(resp.Instances, instProto(r.Value, r.Revision))
	}
	return resp, nil
}

// GetWebhookInstance returns one instance.
func (s *Server) GetWebhookInstance(ctx context.Context, req *channelsv1.GetWebhookInstanceRequest) (*channelsv1.WebhookInstance, error) {
	rec, rev, err := s.Admin.GetInstance(ctx, req.GetBotId(), req.GetInstanceId())
	if err != nil {
		return nil, err
	}
	return instProto(rec, rev), nil
}

// CreateWebhookInstance creates an instance awaiting approval.
func (s *Server) CreateWebhookInstance(ctx context.Context, req *channelsv1.CreateWebhookInstanceRequest) (*channelsv1.WebhookInstanceWithSecret, error) {
	in, err := instInput(req.GetInstance())
	if err != nil {
		return nil, err
	}
	rec, rev, secret, err := s.Admin.CreateInstance(ctx, in, req.GetAccessToken(), nil, req.GetGenerateSigningSecret(), registry.ManagedByAPI)
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return &channelsv1.WebhookInstanceWithSecret{Instance: instProto(rec, rev), SigningSecret: secret}, nil
}

// UpdateWebhookInstance replaces an instance's settable fields.
func (s *Server) UpdateWebhookInstance(ctx context.Context, req *channelsv1.UpdateWebhookInstanceRequest) (*channelsv1.WebhookInstance, error) {
	in, err := instInput(req.GetInstance())
	if err != nil {
		return nil, err
	}
	rec, rev, err := s.Admin.UpdateInstance(ctx, in, req.GetExpectedRevision(), req.GetSetAccessToken(), req.GetAccessToken())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return instProto(rec, rev), nil
}

// DeleteWebhookInstance deletes an instance.
func (s *Server) DeleteWebhookInstance(ctx context.Context, req *channelsv1.InstanceRef) (*channelsv1.DeleteResponse, error) {
	if err := s.Admin.DeleteInstance(ctx, req.GetBotId(), req.GetInstanceId(), req.GetExpectedRevision()); err != nil {
		return nil, err
	}
	return &channelsv1.DeleteResponse{}, nil
}

// RotateSigningSecret replaces the signing secret and returns it, once.
func (s *Server) RotateSigningSecret(ctx context.Context, req *channelsv1.RotateSigningSecretRequest) (*channelsv1.WebhookInstanceWithSecret, error) {
	rec, rev, secret, err := s.Admin.RotateSigningSecret(ctx, req.GetBotId(), req.GetInstanceId(), overlapArg(req.GetOverlap()), "")
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return &channelsv1.WebhookInstanceWithSecret{Instance: instProto(rec, rev), SigningSecret: secret}, nil
}

func reviewer(ctx context.Context) admin.Principal {
	c := CallerFrom(ctx)
	if c.Name != "" {
		return admin.Principal(c.Name)
	}
	return admin.Principal(c.Role)
}

// ApproveWebhookInstance approves an instance (bots admins only).
func (s *Server) ApproveWebhookInstance(ctx context.Context, req *channelsv1.ReviewRequest) (*channelsv1.WebhookInstance, error) {
	rec, rev, err := s.Admin.Approve(ctx, req.GetBotId(), req.GetInstanceId(), reviewer(ctx), req.GetNote())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return instProto(rec, rev), nil
}

// RejectWebhookInstance rejects and disables an instance (bots admins only).
func (s *Server) RejectWebhookInstance(ctx context.Context, req *channelsv1.ReviewRequest) (*channelsv1.WebhookInstance, error) {
	rec, rev, err := s.Admin.Reject(ctx, req.GetBotId(), req.GetInstanceId(), reviewer(ctx), req.GetNote())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return instProto(rec, rev), nil
}

// EnableWebhookInstance enables an approved instance.
func (s *Server) EnableWebhookInstance(ctx context.Context, req *channelsv1.InstanceRef) (*channelsv1.WebhookInstance, error) {
	rec, rev, err := s.Admin.SetEnabled(ctx, req.GetBotId(), req.GetInstanceId(), true, req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return instProto(rec, rev), nil
}

// DisableWebhookInstance disables an instance.
func (s *Server) DisableWebhookInstance(ctx context.Context, req *channelsv1.InstanceRef) (*channelsv1.WebhookInstance, error) {
	rec, rev, err := s.Admin.SetEnabled(ctx, req.GetBotId(), req.GetInstanceId(), false, req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	s.synced(ctx, rev)
	return instProto(rec, rev), nil
}
