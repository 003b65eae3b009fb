package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/platform/registry"
	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
	"github.com/parleyhq/parley/services/channels/internal/store"
)

// ConfigPrincipal is the reviewer recorded for approvals the config file
// declares.
const ConfigPrincipal Principal = "config"

// Applied counts what a bootstrap changed.
type Applied struct {
	Created, Updated int
}

// Bootstrap applies the config file's registry section through the same
// operations as the API. It is idempotent: a second run with the same
// config writes nothing. The config is declarative for what it lists (its
// values win over API edits, approval and enablement included); records it
// does not list are left alone. Several processes may run it at once.
func (s *Service) Bootstrap(ctx context.Context, cfg registry.Config) (Applied, error) {
	var a Applied
	if err := cfg.Validate(); err != nil {
		return a, err
	}
	for _, app := range cfg.Apps {
		if err := retryRace(func() error { return s.bootstrapApp(ctx, app, &a) }); err != nil {
			return a, fmt.Errorf("registry.apps %s: %w", app.ClientID, err)
		}
	}
	for _, b := range cfg.Bots {
		if err := retryRace(func() error { return s.bootstrapBot(ctx, b, &a) }); err != nil {
			return a, fmt.Errorf("registry.bots %s: %w", b.ID, err)
		}
	}
	for _, in := range cfg.Instances {
		if err := retryRace(func() error { return s.bootstrapInstance(ctx, in, &a) }); err != nil {
			return a, fmt.Errorf("registry.instances %s/%s: %w", in.BotID, in.InstanceID, err)
		}
	}
	return a, nil
}

// retryRace runs fn again when another process created the same record
// between our read and our create.
func retryRace(fn func() error) error {
	err := fn()
	if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict) {
		err = fn()
	}
	return err
}

func (s *Service) bootstrapApp(ctx context.Context, app registry.App, a *Applied) error {
	in := AppInput{
		ClientID: app.ClientID, Name: cmpOr(app.Name, app.ClientID), Algorithms: app.Algorithms,
		EnforceJTI: app.EnforceJTI, RequireExp: app.RequireExp, EnforceJWE: app.EnforceJWE,
		Audiences: app.Audiences, PublicKey: app.PublicKey,
	}
	rec, _, err := s.Store.Apps.Get(ctx, registry.AppKey(app.ClientID))
	if errors.Is(err, store.ErrNotFound) {
		if _, _, _, err := s.CreateApp(ctx, in, app.ClientSecret, app.JWEPrivateKey, store.ManagedByConfig); err != nil {
			return err
		}
		a.Created++
		return nil
	}
	if err != nil {
		return err
	}
	cur, err := s.Sealer.OpenApp(rec, s.now())
	if err != nil {
		return err
	}
	changed := false
	if in.changes(rec) {
		if _, _, err := s.UpdateApp(ctx, in, 0); err != nil {
			return err
		}
		changed = true
	}
	if app.ClientSecret != "" && app.ClientSecret != cur.ClientSecret {
		// A secret changed in the config is a rotation: the old one keeps
		// working for the overlap while clients move over.
		if _, _, _, err := s.RotateAppSecret(ctx, app.ClientID, nil, app.ClientSecret); err != nil {
			return err
		}
		changed = true
	}
	if app.JWEPrivateKey != "" && app.JWEPrivateKey != cur.JWEPrivateKey {
		if err := s.replaceJWEKey(ctx, app.ClientID, app.JWEPrivateKey); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		a.Updated++
	}
	return nil
}

// replaceJWEKey installs a JWE private key the config file gives.
func (s *Service) replaceJWEKey(ctx context.Context, id, key string) error {
	jwk, err := PublicJWK(key, "")
	if err != nil {
		return argErr("jwe_private_key", "%v", err)
	}
	_, _, err = s.setJWEKey(ctx, id, key, jwk.Kid)
	return err
}

func (s *Service) bootstrapBot(ctx context.Context, b registry.Bot, a *Applied) error {
	before, _, err := s.Store.Bots.Get(ctx, registry.BotKey(b.ID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	existed := err == nil
	files, err := registry.ReadDir(b.Path)
	if err != nil {
		return err
	}
	imp, err := s.importFiles(ctx, b.ID, files, true, "config "+b.Path, store.ManagedByConfig)
	if err != nil {
		return err
	}
	rec := imp.Bot
	if name := cmpOr(b.Name, b.ID); rec.GetName() != name {
		if rec, _, err = s.RenameBot(ctx, b.ID, name, 0); err != nil {
			return err
		}
	}
	switch {
	case !existed:
		a.Created++
	case rec.GetPublishedVersion() != before.GetPublishedVersion() || rec.GetName() != before.GetName() ||
		len(rec.GetVersions()) != len(before.GetVersions()):
		a.Updated++
	}
	return nil
}

func (s *Service) bootstrapInstance(ctx context.Context, c registry.Instance, a *Applied) error {
	in := InstanceInput{
		BotID: c.BotID, InstanceID: c.InstanceID, Name: c.Name, App: c.App, Mode: c.Mode, PostURL: c.PostURL,
		SyncTimeout: c.SyncTimeout, RetrySchedule: c.RetrySchedule, MaxConcurrency: c.MaxConcurrency,
		StandardResponses: c.StandardResponses,
	}
	rec, _, err := s.GetInstance(ctx, c.BotID, c.InstanceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, _, _, err := s.CreateInstance(ctx, in, c.AccessToken, c.SigningSecrets, false, store.ManagedByConfig); err != nil {
			return err
		}
		a.Created++
		return s.bootstrapState(ctx, c, &registryv1.InstanceRecord{})
	case err != nil:
		return err
	}
	cur, err := s.Sealer.OpenInstance(rec, s.now())
	if err != nil {
		return err
	}
	changed := false
	if in.changes(rec) || cur.AccessToken != c.AccessToken {
		if rec, _, err = s.UpdateInstance(ctx, in, 0, cur.AccessToken != c.AccessToken, c.AccessToken); err != nil {
			return err
		}
		changed = true
	}
	if !slices.Equal(cur.SigningSecrets, c.SigningSecrets) {
		if err := s.setSigningSecrets(ctx, c); err != nil {
			return err
		}
		changed = true
	}
	if rec.GetApproved() != c.Approved || rec.GetEnabled() != (c.Enabled && c.Approved) {
		changed = true
	}
	if changed {
		a.Updated++
	}
	return s.bootstrapState(ctx, c, rec)
}

// setSigningSecrets replaces the secrets with the config's list, which
// carries both secrets while a rotation is in progress.
func (s *Service) setSigningSecrets(ctx context.Context, c registry.Instance) error {
	sealed, err := s.sealSigningSecrets(c.BotID, c.InstanceID, c.SigningSecrets)
	if err != nil {
		return err
	}
	_, _, err = s.Store.Instances.Update(ctx, registry.InstanceKey(c.BotID, c.InstanceID), 0, func(r *registryv1.InstanceRecord) error {
		r.SigningSecrets, r.UpdateTime = sealed, s.stamp()
		return nil
	})
	return err
}

// bootstrapState applies approved and enabled as the config says, through
// the review and enable operations.
func (s *Service) bootstrapState(ctx context.Context, c registry.Instance, rec *registryv1.InstanceRecord) error {
	switch {
	case c.Approved && !rec.GetApproved():
		if _, _, err := s.Approve(ctx, c.BotID, c.InstanceID, ConfigPrincipal, "declared in the config file"); err != nil {
			return err
		}
	case !c.Approved && rec.GetApproved():
		if _, _, err := s.review(ctx, c.BotID, c.InstanceID, ConfigPrincipal, "not approved in the config file", false); err != nil {
			return err
		}
	}
	// An enabled but unapproved instance stays disabled: enabling needs an
	// approval, whoever asks. SetEnabled writes nothing when it is as wanted.
	_, _, err := s.SetEnabled(ctx, c.BotID, c.InstanceID, c.Enabled && c.Approved, 0)
	return err
}
