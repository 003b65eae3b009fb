// Package admin holds the registry's write operations: creating and
// changing apps, bots and webhook instances, secrets, approvals and bot
// versions. The gRPC API and the config bootstrap both go through it, so a
// channel declared in the config file obeys the same rules as one created
// through the API.
package admin

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// ArgError is a refused argument, named by its field path.
type ArgError struct {
	Field string
	Msg   string
}

func (e *ArgError) Error() string { return e.Field + ": " + e.Msg }

func argErr(field, format string, a ...any) error {
	return &ArgError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// PreconditionError is an operation the current state does not allow.
type PreconditionError struct{ Msg string }

func (e *PreconditionError) Error() string { return e.Msg }

func precondition(format string, a ...any) error {
	return &PreconditionError{Msg: fmt.Sprintf(format, a...)}
}

// Service performs registry writes.
type Service struct {
	Store  *store.Store
	Sealer *store.Sealer
	// Overlap is how long a replaced secret stays valid by default.
	Overlap time.Duration
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// stamp is now as a record's time.
func (s *Service) stamp() *timestamppb.Timestamp { return timestamppb.New(s.now()) }

// Principal is who asks, recorded on approvals.
type Principal string

// Limits on free-text and list fields.
const (
	maxName      = 200
	maxAudiences = 20
	maxOverrides = 500
)

func (s *Service) overlap(d *time.Duration) (time.Duration, error) {
	if d == nil {
		return s.Overlap, nil
	}
	if *d < 0 || *d > 30*24*time.Hour {
		return 0, argErr("overlap", "must be between 0s and 720h")
	}
	return *d, nil
}

// pruneExpired drops the secrets whose deadline has passed.
func pruneExpired(ss []*registryv1.SealedSecret, now time.Time) []*registryv1.SealedSecret {
	return slices.DeleteFunc(ss, func(s *registryv1.SealedSecret) bool { return registry.Expired(s, now) })
}

func pageSize(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// allInstances lists every instance, of one bot when botID is set.
func (s *Service) allInstances(ctx context.Context, botID string) ([]*registryv1.InstanceRecord, error) {
	var out []*registryv1.InstanceRecord
	tok := ""
	for {
		page, next, err := s.Store.Instances.Page(ctx, botID, 500, tok)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			out = append(out, r.Value)
		}
		if next == "" {
			return out, nil
		}
		tok = next
	}
}
