package grpcadmin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	"github.com/parleyhq/parley/services/channels/internal/admin"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// Role of an admin token.
type Role string

// Roles. A bots admin may do everything; a developer everything but
// approving and rejecting channels.
const (
	RoleDeveloper Role = "developer"
	RoleBotsAdmin Role = "bots_admin"
)

// Token is a configured admin token.
type Token struct {
	Token string
	Role  Role
	// Name identifies the holder in approvals and logs.
	Name string
}

// botsAdminOnly lists the methods a developer may not call.
var botsAdminOnly = map[string]bool{
	channelsv1.ChannelAdmin_ApproveWebhookInstance_FullMethodName: true,
	channelsv1.ChannelAdmin_RejectWebhookInstance_FullMethodName:  true,
}

type hashedToken struct {
	sum  [32]byte
	role Role
	name string
}

// Guard authenticates calls, checks roles, recovers panics and maps errors
// to status codes: the one place where errors become gRPC codes.
type Guard struct {
	tokens []hashedToken
	log    *slog.Logger
}

// NewGuard hashes the tokens so that comparisons take constant time.
func NewGuard(tokens []Token, log *slog.Logger) *Guard {
	g := &Guard{log: log}
	for _, t := range tokens {
		g.tokens = append(g.tokens, hashedToken{sum: sha256.Sum256([]byte(t.Token)), role: t.Role, name: t.Name})
	}
	return g
}

type principalKey struct{}

// Caller is the authenticated holder of a call's token.
type Caller struct {
	Role Role
	Name string
}

// CallerFrom returns the caller of an authenticated call.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(principalKey{}).(Caller)
	return c
}

func (g *Guard) authenticate(ctx context.Context, method string) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return nil, status.Error(codes.Unauthenticated, "missing 'authorization: Bearer <admin token>' metadata")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return nil, status.Error(codes.Unauthenticated, "authorization metadata must be 'Bearer <admin token>'")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	var found *hashedToken
	for i := range g.tokens {
		// Every token is compared, so timing does not tell which matched.
		if subtle.ConstantTimeCompare(sum[:], g.tokens[i].sum[:]) == 1 {
			found = &g.tokens[i]
		}
	}
	if found == nil {
		return nil, status.Error(codes.Unauthenticated, "the admin token is not valid")
	}
	if botsAdminOnly[method] && found.role != RoleBotsAdmin {
		return nil, status.Errorf(codes.PermissionDenied, "%s needs the %s role; this token has the %s role",
			method[strings.LastIndexByte(method, '/')+1:], RoleBotsAdmin, found.role)
	}
	return context.WithValue(ctx, principalKey{}, Caller{Role: found.role, Name: found.name}), nil
}

// Unary is the unary interceptor.
func (g *Guard) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.log.ErrorContext(ctx, "panic in admin call", "method", info.FullMethod, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	actx, err := g.authenticate(ctx, info.FullMethod)
	if err != nil {
		g.log.WarnContext(ctx, "admin call refused", "method", info.FullMethod, "err", err)
		return nil, err
	}
	resp, err = handler(actx, req)
	if err != nil {
		return nil, g.toStatus(ctx, info.FullMethod, err)
	}
	return resp, nil
}

// Stream is the streaming interceptor: authentication only.
func (g *Guard) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	actx, err := g.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: actx})
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

func (g *Guard) toStatus(ctx context.Context, method string, err error) error {
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
		g.log.ErrorContext(ctx, "admin call failed", "method", method, "err", err)
		return status.Error(codes.Internal, "internal error; see the channels service log")
	}
	return status.Error(code, err.Error())
}
