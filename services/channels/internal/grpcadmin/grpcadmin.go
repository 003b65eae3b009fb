// Package grpcadmin serves the channels admin API over gRPC: it converts
// between protobuf and the admin operations; Guard authenticates calls and
// maps errors to status codes.
package grpcadmin

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

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

func overlapArg(d *durationpb.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v := d.AsDuration()
	return &v
}
