package grpcadmin

import (
	"context"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

func botProto(r *registryv1.BotRecord, rev uint64) *channelsv1.Bot {
	out := &channelsv1.Bot{
		Id: r.GetId(), Name: r.GetName(), PublishedVersion: r.GetPublishedVersion(), PublishHistory: r.GetPublishHistory(),
		ManagedBy: r.GetManagedBy(), Revision: rev, CreateTime: r.GetCreateTime(), UpdateTime: r.GetUpdateTime(),
	}
	for _, v := range r.GetVersions() {
		out.Versions = append(out.Versions, &channelsv1.BotVersion{
			Version: v.GetVersion(), Digest: v.GetDigest(), SizeBytes: v.GetSizeBytes(), Files: v.GetFiles(),
			CreateTime: v.GetCreateTime(), Note: v.GetNote(),
		})
	}
	return out
}

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
	rec, rev, err := s.Admin.CreateBot(ctx, req.GetBot().GetId(), req.GetBot().GetName(), store.ManagedByAPI)
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
	res, err := s.Admin.ImportBot(ctx, req.GetBotId(), req.GetArchive(), req.GetPublish(), req.GetNote(), store.ManagedByAPI)
	if err != nil {
		return nil, err
	}
	s.synced(ctx, res.Revision)
	return &channelsv1.ImportBotResponse{Bot: botProto(res.Bot, res.Revision), Version: res.Version, NewVersion: res.NewVersion}, nil
}

// ExportBot returns a version's directory as a tar.gz.
func (s *Server) ExportBot(ctx context.Context, req *channelsv1.ExportBotRequest) (*channelsv1.ExportBotResponse, error) {
	b, meta, err := s.Admin.ExportBot(ctx, req.GetBotId(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	return &channelsv1.ExportBotResponse{Archive: b, Version: meta.GetVersion(), Digest: meta.GetDigest()}, nil
}

// PublishBotVersion makes a version serve traffic.
func (s *Server) PublishBotVersion(ctx context.Context, req *channelsv1.PublishBotVersionRequest) (*channelsv1.Bot, error) {
	rec, rev, err := s.Admin.PublishBotVersion(ctx, req.GetBotId(), req.GetVersion(), req.GetExpectedRevision())
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
