package adminauth

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Interceptors returns the server options that put every call through g:
// the call is authenticated and authorized before any handler runs, and
// its caller is in the handler's context (CallerFrom). Refusals are logged
// at warn level without the token.
func (g *Guard) Interceptors(log *slog.Logger) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			actx, err := g.check(ctx, info.FullMethod, log)
			if err != nil {
				return nil, err
			}
			return h(actx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			actx, err := g.check(ss.Context(), info.FullMethod, log)
			if err != nil {
				return err
			}
			return h(srv, &callerStream{ServerStream: ss, ctx: actx})
		}),
	}
}

func (g *Guard) check(ctx context.Context, method string, log *slog.Logger) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var authorization string
	if vals := md.Get("authorization"); len(vals) > 0 {
		authorization = vals[0]
	}
	caller, err := g.Check(authorization, method)
	if err != nil {
		err = StatusOf(err)
		log.WarnContext(ctx, "admin call refused", "method", method, "caller", caller.Name, "err", err)
		return nil, err
	}
	return WithCaller(ctx, caller), nil
}

// StatusOf turns a *Refusal into its gRPC status: Unauthenticated or
// PermissionDenied. Other errors are returned as they are.
func StatusOf(err error) error {
	var r *Refusal
	if !errors.As(err, &r) {
		return err
	}
	if r.Unauthenticated {
		return status.Error(codes.Unauthenticated, r.Msg)
	}
	return status.Error(codes.PermissionDenied, r.Msg)
}

type callerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *callerStream) Context() context.Context { return s.ctx }
