package channels_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// Every method the admin port serves, ChannelAdmin's and the health
// service's, refuses a call without a valid token; a viewer reads but
// changes nothing. The calls carry empty requests: a refusal comes before
// the request is looked at.
func TestEveryAdminMethodRefusesWithoutToken(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	reads := []string{
		channelsv1.ChannelAdmin_ListApps_FullMethodName, channelsv1.ChannelAdmin_GetApp_FullMethodName,
		channelsv1.ChannelAdmin_ListBots_FullMethodName, channelsv1.ChannelAdmin_GetBot_FullMethodName,
		channelsv1.ChannelAdmin_ListWebhookInstances_FullMethodName, channelsv1.ChannelAdmin_GetWebhookInstance_FullMethodName,
		healthpb.Health_Check_FullMethodName, healthpb.Health_List_FullMethodName,
	}
	methods := []string{healthpb.Health_Check_FullMethodName, healthpb.Health_List_FullMethodName}
	for _, m := range channelsv1.ChannelAdmin_ServiceDesc.Methods {
		methods = append(methods, "/"+channelsv1.ChannelAdmin_ServiceDesc.ServiceName+"/"+m.MethodName)
	}
	if len(methods) < 25 {
		t.Fatalf("only %d methods found", len(methods))
	}
	invoke := func(ctx context.Context, method string) error {
		return e.conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{})
	}
	viewer := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+viewerToken)
	for _, m := range methods {
		if err := invoke(t.Context(), m); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s without a token: %v, want Unauthenticated", m, err)
		}
		bad := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer wrong-token-0123456789")
		if err := invoke(bad, m); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s with an unknown token: %v, want Unauthenticated", m, err)
		}
		err := invoke(viewer, m)
		code := status.Code(err)
		if slices.Contains(reads, m) {
			if code == codes.Unauthenticated || code == codes.PermissionDenied {
				t.Errorf("%s by a viewer: %v, want it allowed", m, err)
			}
		} else if code != codes.PermissionDenied || !strings.Contains(err.Error(), "this token has the viewer role") {
			t.Errorf("%s by a viewer: %v, want PermissionDenied", m, err)
		}
	}
	apps, err := e.client.ListApps(e.dev, &channelsv1.ListAppsRequest{})
	if err != nil || len(apps.GetApps()) != 0 {
		t.Errorf("apps after refused calls: %v, %v; want none", apps, err)
	}
}
