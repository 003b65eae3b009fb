package grpcadmin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parleyhq/parley/platform/adminauth"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// Policy is the least role of each ChannelAdmin method: a viewer lists and
// reads (bot exports excepted: they hold the bot's source); only a bots
// admin approves and rejects channels; every other method, a method added
// later included, needs a developer.
var Policy = func() adminauth.Policy {
	p := adminauth.Policy{}
	for _, m := range channelsv1.ChannelAdmin_ServiceDesc.Methods {
		p["/"+channelsv1.ChannelAdmin_ServiceDesc.ServiceName+"/"+m.MethodName] = adminauth.RoleDeveloper
	}
	for _, m := range []string{
		channelsv1.ChannelAdmin_ListApps_FullMethodName,
		channelsv1.ChannelAdmin_GetApp_FullMethodName,
		channelsv1.ChannelAdmin_ListBots_FullMethodName,
		channelsv1.ChannelAdmin_GetBot_FullMethodName,
		channelsv1.ChannelAdmin_ListWebhookInstances_FullMethodName,
		channelsv1.ChannelAdmin_GetWebhookInstance_FullMethodName,
	} {
		p[m] = adminauth.RoleViewer
	}
	p[channelsv1.ChannelAdmin_ApproveWebhookInstance_FullMethodName] = adminauth.RoleBotsAdmin
	p[channelsv1.ChannelAdmin_RejectWebhookInstance_FullMethodName] = adminauth.RoleBotsAdmin
	return p
}()

// CallerFrom returns the caller of an authenticated call.
func CallerFrom(ctx context.Context) adminauth.Caller { return adminauth.CallerFrom(ctx) }

// Errors recovers panics and maps errors to status codes: the one place
// where the admin operations' errors become gRPC codes. Authentication is
// adminauth's, before it.
type Errors struct {
	Log *slog.Logger
}

// Unary is the unary interceptor.
func (g Errors) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.Log.ErrorContext(ctx, "panic in admin call", "method", info.FullMethod, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, g.toStatus(ctx, info.FullMethod, err)
	}
	return resp, nil
}

func (g Errors) toStatus(ctx context.Context, method string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var arg *admin.ArgError
	var pre *admin.PreconditionError
	var code codes.Code
	switch {
	case errors.As(err, &arg):
		// Several invalid fields are joined; each names its field.
		code = codes.InvalidArgument
	case errors.As(err, &pre):
		code = codes.FailedPrecondition
	case errors.Is(err, store.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, store.ErrExists):
		code = codes.AlreadyExists
	case errors.Is(err, store.ErrConflict):
		code = codes.Aborted
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	default:
		g.Log.ErrorContext(ctx, "admin call failed", "method", method, "err", err)
		return status.Error(codes.Internal, "internal error; see the channels service log")
	}
	return status.Error(code, err.Error())
}
