package admin

import (
	"context"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// Approve marks an instance approved by a bots admin.
func (s *Service) Approve(ctx context.Context, botID, instanceID string, by Principal, note string) (*registryv1.InstanceRecord, uint64, error) {
	return s.review(ctx, botID, instanceID, by, note, true)
}

// Reject marks an instance rejected and disables it.
func (s *Service) Reject(ctx context.Context, botID, instanceID string, by Principal, note string) (*registryv1.InstanceRecord, uint64, error) {
	return s.review(ctx, botID, instanceID, by, note, false)
}

func (s *Service) review(ctx context.Context, botID, instanceID string, by Principal, note string, approve bool) (*registryv1.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	if len(note) > 1000 {
		return nil, 0, argErr("note", "at most 1000 characters")
	}
	return s.Store.Instances.Update(ctx, key, 0, func(r *registryv1.InstanceRecord) error {
		if r.GetApproved() == approve && r.GetRejected() == !approve && r.GetReviewNote() == note && (approve || !r.GetEnabled()) {
			return store.ErrUnchanged
		}
		r.Approved, r.Rejected = approve, !approve
		if !approve {
			r.Enabled = false
		}
		r.ReviewedBy, r.ReviewNote, r.UpdateTime = string(by), note, s.stamp()
		return nil
	})
}

// SetEnabled enables or disables an instance. Enabling needs an approved
// instance.
func (s *Service) SetEnabled(ctx context.Context, botID, instanceID string, enabled bool, expected uint64) (*registryv1.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	return s.Store.Instances.Update(ctx, key, expected, func(r *registryv1.InstanceRecord) error {
		if enabled && !r.GetApproved() {
			if r.GetRejected() {
				return precondition("instance %q of bot %s was rejected; a bots admin must approve it before it can be enabled", instanceID, botID)
			}
			return precondition("instance %q of bot %s is not approved yet; a bots admin must approve it before it can be enabled", instanceID, botID)
		}
		if r.GetEnabled() == enabled {
			return store.ErrUnchanged
		}
		r.Enabled, r.UpdateTime = enabled, s.stamp()
		return nil
	})
}
