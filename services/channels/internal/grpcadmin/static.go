package grpcadmin

import (
	"context"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// StaticServer implements the read calls of ChannelAdmin over a fixed
// registry view, for deployments without the KV registry; writes are
// UNIMPLEMENTED.
type StaticServer struct {
	channelsv1.UnimplementedChannelAdminServer
	Registry registry.View
}

const maxPage = 500

func page(size int32, token string, n int) (start, end int, next string, err error) {
	if size <= 0 || size > maxPage {
		size = 100
	}
	if token != "" {
		start, err = strconv.Atoi(token)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", status.Errorf(codes.InvalidArgument, "page_token: %q is not a token this API issued", token)
		}
	}
	end = min(start+int(size), n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

// ListApps lists apps without their secrets.
func (s *StaticServer) ListApps(_ context.Context, req *channelsv1.ListAppsRequest) (*channelsv1.ListAppsResponse, error) {
	var apps []registry.App
	for _, in := range s.Registry.Instances() {
		if a, ok := s.Registry.App(in.App); ok && !containsApp(apps, a.ClientID) {
			apps = append(apps, a)
		}
	}
	start, end, next, err := page(req.GetPageSize(), req.GetPageToken(), len(apps))
	if err != nil {
		return nil, err
	}
	resp := &channelsv1.ListAppsResponse{NextPageToken: next}
	for _, a := range apps[start:end] {
		resp.Apps = append(resp.Apps, appToProto(a))
	}
	return resp, nil
}

// ListWebhookInstances lists instances, optionally of one bot.
func (s *StaticServer) ListWebhookInstances(_ context.Context, req *channelsv1.ListWebhookInstancesRequest) (*channelsv1.ListWebhookInstancesResponse, error) {
	var insts []registry.Instance
	for _, in := range s.Registry.Instances() {
		if req.GetBotId() == "" || in.BotID == req.GetBotId() {
			insts = append(insts, in)
		}
	}
	start, end, next, err := page(req.GetPageSize(), req.GetPageToken(), len(insts))
	if err != nil {
		return nil, err
	}
	resp := &channelsv1.ListWebhookInstancesResponse{NextPageToken: next}
	for _, in := range insts[start:end] {
		resp.Instances = append(resp.Instances, instanceToProto(in))
	}
	return resp, nil
}

// GetWebhookInstance returns one instance.
func (s *StaticServer) GetWebhookInstance(_ context.Context, req *channelsv1.GetWebhookInstanceRequest) (*channelsv1.WebhookInstance, error) {
	if req.GetBotId() == "" {
		return nil, status.Error(codes.InvalidArgument, "bot_id: required")
	}
	in, ok := s.Registry.Instance(req.GetBotId(), req.GetInstanceId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "bot %s has no webhook instance %q", req.GetBotId(), req.GetInstanceId())
	}
	return instanceToProto(in), nil
}

func containsApp(apps []registry.App, id string) bool {
	for _, a := range apps {
		if a.ClientID == id {
			return true
		}
	}
	return false
}

func appToProto(a registry.App) *channelsv1.App {
	out := &channelsv1.App{ClientId: a.ClientID, Name: a.Name, EnforceJti: a.EnforceJTI}
	for _, alg := range a.Algorithms {
		switch alg {
		case registry.HS256:
			out.Algorithms = append(out.Algorithms, channelsv1.Algorithm_ALGORITHM_HS256)
		case registry.HS512:
			out.Algorithms = append(out.Algorithms, channelsv1.Algorithm_ALGORITHM_HS512)
		}
	}
	return out
}

func instanceToProto(in registry.Instance) *channelsv1.WebhookInstance {
	mode := channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC
	if in.Mode == registry.ModeAsync {
		mode = channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC
	}
	return &channelsv1.WebhookInstance{
		BotId: in.BotID, InstanceId: in.InstanceID, Name: in.Name, AppClientId: in.App,
		Mode: mode, PostUrl: in.PostURL, Enabled: in.Enabled, Approved: in.Approved,
	}
}
