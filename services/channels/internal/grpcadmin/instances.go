package grpcadmin

import (
	"context"
	"time"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

func instProto(r *registryv1.InstanceRecord, rev uint64) *channelsv1.WebhookInstance {
	mode := channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC
	if r.GetMode() == registryv1.Mode_MODE_ASYNC {
		mode = channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC
	}
	out := &channelsv1.WebhookInstance{
		BotId: r.GetBotId(), InstanceId: r.GetInstanceId(), Name: r.GetName(), AppClientId: r.GetAppClientId(), Mode: mode,
		PostUrl: r.GetPostUrl(), Enabled: r.GetEnabled(), Approved: r.GetApproved(), Rejected: r.GetRejected(),
		ReviewedBy: r.GetReviewedBy(), ReviewNote: r.GetReviewNote(), SyncTimeout: r.GetSyncTimeout(),
		RetrySchedule: r.GetRetrySchedule(), MaxConcurrency: r.GetMaxConcurrency(), StandardResponses: r.GetStandardResponses(),
		HasAccessToken: r.GetAccessToken() != "", ManagedBy: r.GetManagedBy(), Revision: rev,
		CreateTime: r.GetCreateTime(), UpdateTime: r.GetUpdateTime(),
	}
	now := time.Now()
	for _, ss := range r.GetSigningSecrets() {
		if !registry.Expired(ss, now) {
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
	rec, rev, secret, err := s.Admin.CreateInstance(ctx, in, req.GetAccessToken(), nil, req.GetGenerateSigningSecret(), store.ManagedByAPI)
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
