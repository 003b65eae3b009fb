// Package admin holds the registry's write operations: creating and
// changing apps, bots and webhook instances, secrets, approvals and bot
// versions. The gRPC API and the config bootstrap both go through it, so a
// channel declared in the config file obeys the same rules as one created
// through the API.
package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/parleyhq/parley/platform/registry"
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
	Store  *registry.Store
	Sealer *registry.Sealer
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

// Principal is who asks, recorded on approvals.
type Principal string

// Limits on free-text and list fields.
const (
	maxName      = 200
	maxAudiences = 20
	maxOverrides = 500
)

// NewSecret returns 32 random bytes, base64url without padding.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSigningSecret returns a Standard Webhooks secret, whsec_<base64>.
func NewSigningSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// ---- apps ----

// AppInput is the settable part of an app.
type AppInput struct {
	ClientID   string
	Name       string
	Algorithms []string
	EnforceJTI bool
	RequireExp bool
	EnforceJWE bool
	Audiences  []string
	PublicKey  string
}

func (in AppInput) validate() error {
	var errs []error
	if in.Name == "" || len(in.Name) > maxName {
		errs = append(errs, argErr("app.name", "required, at most %d characters", maxName))
	}
	if len(in.Algorithms) == 0 {
		errs = append(errs, argErr("app.algorithms", "at least one of HS256, HS512, RS256, RS512 is required"))
	}
	for i, a := range in.Algorithms {
		if !slices.Contains(registry.Algorithms, a) {
			errs = append(errs, argErr(fmt.Sprintf("app.algorithms[%d]", i), "%q is not HS256, HS512, RS256 or RS512", a))
		}
	}
	app := registry.App{Algorithms: in.Algorithms}
	if app.UsesRSA() && in.PublicKey == "" {
		errs = append(errs, argErr("app.public_key_pem", "required for RS256 and RS512"))
	}
	if in.PublicKey != "" {
		if _, err := registry.ParseRSAPublicKey(in.PublicKey); err != nil {
			errs = append(errs, argErr("app.public_key_pem", "%v", err))
		}
	}
	if len(in.Audiences) > maxAudiences {
		errs = append(errs, argErr("app.audiences", "at most %d", maxAudiences))
	}
	for i, a := range in.Audiences {
		if u, err := url.Parse(a); err != nil || a == "" || u.Scheme == "" {
			errs = append(errs, argErr(fmt.Sprintf("app.audiences[%d]", i), "%q is not an absolute URI", a))
		}
	}
	return errors.Join(errs...)
}

func checkClientSecret(secret string) error {
	if len(secret) < 16 || len(secret) > 512 {
		return argErr("client_secret", "must be 16 to 512 characters")
	}
	return nil
}

func (in AppInput) applyTo(r *registry.AppRecord) {
	r.Name, r.Algorithms, r.EnforceJTI, r.RequireExp = in.Name, in.Algorithms, in.EnforceJTI, in.RequireExp
	r.EnforceJWE, r.Audiences, r.PublicKey = in.EnforceJWE, in.Audiences, in.PublicKey
}

// CreateApp creates an app with a new JWE key pair (or jweKey when given).
// secret is generated when empty; it is returned in clear only here.
func (s *Service) CreateApp(ctx context.Context, in AppInput, secret, jweKey, managed string) (registry.AppRecord, uint64, string, error) {
	if in.ClientID == "" {
		in.ClientID = registry.NewClientID()
	} else if !registry.ValidClientID(in.ClientID) {
		return registry.AppRecord{}, 0, "", argErr("app.client_id", "%q is not cs-<uuid>", in.ClientID)
	}
	if err := in.validate(); err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	if secret == "" {
		secret = NewSecret()
	} else if err := checkClientSecret(secret); err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	kid := ""
	if jweKey == "" {
		var err error
		if jweKey, kid, err = registry.GenerateJWEKey(); err != nil {
			return registry.AppRecord{}, 0, "", err
		}
	} else {
		jwk, err := registry.PublicJWK(jweKey, "")
		if err != nil {
			return registry.AppRecord{}, 0, "", argErr("app.jwe_private_key", "%v", err)
		}
		kid = jwk.Kid
	}
	now := s.now()
	rec := registry.AppRecord{ClientID: in.ClientID, JWEKeyID: kid, Managed: managed, Created: now, Updated: now}
	in.applyTo(&rec)
	if err := s.Sealer.SealAppSecrets(&rec, secret, jweKey); err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	rev, err := s.Store.Apps.Create(ctx, registry.AppKey(rec.ClientID), rec)
	if err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	return rec, rev, secret, nil
}

// GetApp reads an app.
func (s *Service) GetApp(ctx context.Context, id string) (registry.AppRecord, uint64, error) {
	if !registry.ValidClientID(id) {
		return registry.AppRecord{}, 0, argErr("client_id", "%q is not cs-<uuid>", id)
	}
	return s.Store.Apps.Get(ctx, registry.AppKey(id))
}

// UpdateApp replaces the settable fields.
func (s *Service) UpdateApp(ctx context.Context, in AppInput, expected uint64) (registry.AppRecord, uint64, error) {
	if !registry.ValidClientID(in.ClientID) {
		return registry.AppRecord{}, 0, argErr("app.client_id", "%q is not cs-<uuid>", in.ClientID)
	}
	if err := in.validate(); err != nil {
		return registry.AppRecord{}, 0, err
	}
	return s.Store.Apps.Update(ctx, registry.AppKey(in.ClientID), expected, func(r *registry.AppRecord) error {
		before := *r
		in.applyTo(r)
		if appEqual(before, *r) {
			return registry.ErrUnchanged
		}
		r.Updated = s.now()
		return nil
	})
}

func appEqual(a, b registry.AppRecord) bool {
	return a.Name == b.Name && slices.Equal(a.Algorithms, b.Algorithms) && a.EnforceJTI == b.EnforceJTI &&
		a.RequireExp == b.RequireExp && a.EnforceJWE == b.EnforceJWE && slices.Equal(a.Audiences, b.Audiences) &&
		a.PublicKey == b.PublicKey
}

// DeleteApp deletes an app no instance uses.
func (s *Service) DeleteApp(ctx context.Context, id string, expected uint64) error {
	if !registry.ValidClientID(id) {
		return argErr("client_id", "%q is not cs-<uuid>", id)
	}
	insts, err := s.allInstances(ctx, "")
	if err != nil {
		return err
	}
	for _, in := range insts {
		if in.App == id {
			return precondition("app %s is used by instance %q of bot %s; move or delete the instance first", id, in.InstanceID, in.BotID)
		}
	}
	return s.Store.Apps.Delete(ctx, registry.AppKey(id), expected)
}

// RotateAppSecret replaces the client secret (newSecret, or a generated
// one); the old one stays valid for overlap (Service.Overlap when nil).
func (s *Service) RotateAppSecret(ctx context.Context, id string, overlap *time.Duration, newSecret string) (registry.AppRecord, uint64, string, error) {
	if !registry.ValidClientID(id) {
		return registry.AppRecord{}, 0, "", argErr("client_id", "%q is not cs-<uuid>", id)
	}
	ov, err := s.overlap(overlap)
	if err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	if newSecret == "" {
		newSecret = NewSecret()
	} else if err := checkClientSecret(newSecret); err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	sealed, err := s.Sealer.SealClientSecret(id, newSecret)
	if err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	rec, rev, err := s.Store.Apps.Update(ctx, registry.AppKey(id), 0, func(r *registry.AppRecord) error {
		now := s.now()
		r.RetiringSecrets = pruneExpired(r.RetiringSecrets, now)
		if ov > 0 && r.ClientSecret != "" {
			r.RetiringSecrets = append(r.RetiringSecrets, registry.SealedSecret{Sealed: r.ClientSecret, Until: now.Add(ov)})
		}
		r.ClientSecret, r.Updated = sealed, now
		return nil
	})
	if err != nil {
		return registry.AppRecord{}, 0, "", err
	}
	return rec, rev, newSecret, nil
}

// RotateJWEKey replaces the app's JWE key pair. Tokens encrypted to the old
// key are refused at once: clients fetch the new JWK first.
func (s *Service) RotateJWEKey(ctx context.Context, id string) (registry.AppRecord, uint64, error) {
	if !registry.ValidClientID(id) {
		return registry.AppRecord{}, 0, argErr("client_id", "%q is not cs-<uuid>", id)
	}
	key, kid, err := registry.GenerateJWEKey()
	if err != nil {
		return registry.AppRecord{}, 0, err
	}
	sealed, err := s.Sealer.SealJWEKey(id, key)
	if err != nil {
		return registry.AppRecord{}, 0, err
	}
	return s.Store.Apps.Update(ctx, registry.AppKey(id), 0, func(r *registry.AppRecord) error {
		r.JWEPrivateKey, r.JWEKeyID, r.Updated = sealed, kid, s.now()
		return nil
	})
}

// AppJWK returns the public JWK of the app's JWE key.
func (s *Service) AppJWK(r registry.AppRecord) (registry.JWK, error) {
	app, err := s.Sealer.OpenApp(r, s.now())
	if err != nil || app.JWEPrivateKey == "" {
		return registry.JWK{}, err
	}
	return registry.PublicJWK(app.JWEPrivateKey, app.JWEKeyID)
}

func (s *Service) overlap(d *time.Duration) (time.Duration, error) {
	if d == nil {
		return s.Overlap, nil
	}
	if *d < 0 || *d > 30*24*time.Hour {
		return 0, argErr("overlap", "must be between 0s and 720h")
	}
	return *d, nil
}

func pruneExpired(ss []registry.SealedSecret, now time.Time) []registry.SealedSecret {
	return slices.DeleteFunc(ss, func(s registry.SealedSecret) bool { return !s.Until.IsZero() && !s.Until.After(now) })
}

// ListApps pages through the apps.
func (s *Service) ListApps(ctx context.Context, size int, token string) ([]registry.Record[registry.AppRecord], string, error) {
	if !s.Store.Apps.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Apps.Page(ctx, "", pageSize(size), token)
}

func pageSize(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// ---- bots ----

// CreateBot creates a bot without versions; id is generated when empty.
func (s *Service) CreateBot(ctx context.Context, id, name, managed string) (registry.BotRecord, uint64, error) {
	if id == "" {
		id = registry.NewBotID()
	} else if !registry.ValidBotID(id) {
		return registry.BotRecord{}, 0, argErr("bot.id", "%q is not st-<uuid>", id)
	}
	if name == "" || len(name) > maxName {
		return registry.BotRecord{}, 0, argErr("bot.name", "required, at most %d characters", maxName)
	}
	now := s.now()
	rec := registry.BotRecord{ID: id, Name: name, Managed: managed, Created: now, Updated: now}
	rev, err := s.Store.Bots.Create(ctx, registry.BotKey(id), rec)
	return rec, rev, err
}

// GetBot reads a bot.
func (s *Service) GetBot(ctx context.Context, id string) (registry.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return registry.BotRecord{}, 0, argErr("id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Get(ctx, registry.BotKey(id))
}

// RenameBot changes a bot's name.
func (s *Service) RenameBot(ctx context.Context, id, name string, expected uint64) (registry.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return registry.BotRecord{}, 0, argErr("bot.id", "%q is not st-<uuid>", id)
	}
	if name == "" || len(name) > maxName {
		return registry.BotRecord{}, 0, argErr("bot.name", "required, at most %d characters", maxName)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registry.BotRecord) error {
		if r.Name == name {
			return registry.ErrUnchanged
		}
		r.Name, r.Updated = name, s.now()
		return nil
	})
}

// DeleteBot deletes a bot without instances, with its versions.
func (s *Service) DeleteBot(ctx context.Context, id string, expected uint64) error {
	rec, _, err := s.GetBot(ctx, id)
	if err != nil {
		return err
	}
	insts, err := s.allInstances(ctx, id)
	if err != nil {
		return err
	}
	if len(insts) > 0 {
		return precondition("bot %s has %d webhook instance(s); delete them first", id, len(insts))
	}
	if err := s.Store.Bots.Delete(ctx, registry.BotKey(id), expected); err != nil {
		return err
	}
	return s.Store.DeleteBotArchives(ctx, rec)
}

// ListBots pages through the bots.
func (s *Service) ListBots(ctx context.Context, size int, token string) ([]registry.Record[registry.BotRecord], string, error) {
	if !s.Store.Bots.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Bots.Page(ctx, "", pageSize(size), token)
}

// botHeader is what the registry reads of bot.yaml.
type botHeader struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// ImportBot stores a bot directory (tar.gz) as a new version of botID (the
// id in bot.yaml when empty), creating the bot if needed; an archive equal
// to an existing version reuses it. With publish the version serves at once.
func (s *Service) ImportBot(ctx context.Context, botID string, archive []byte, publish bool, note, managed string) (registry.BotRecord, uint64, int, bool, error) {
	files, err := registry.Unpack(archive)
	if err != nil {
		return registry.BotRecord{}, 0, 0, false, argErr("archive", "%v", err)
	}
	return s.importFiles(ctx, botID, files, publish, note, managed)
}

func (s *Service) importFiles(ctx context.Context, botID string, files registry.Files, publish bool, note, managed string) (registry.BotRecord, uint64, int, bool, error) {
	fail := func(err error) (registry.BotRecord, uint64, int, bool, error) {
		return registry.BotRecord{}, 0, 0, false, err
	}
	raw, ok := files["bot.yaml"]
	if !ok {
		return fail(argErr("archive", "no bot.yaml at the top of the bot directory"))
	}
	var hdr botHeader
	if err := yaml.Unmarshal(raw, &hdr); err != nil {
		return fail(argErr("archive", "bot.yaml does not parse: %v", err))
	}
	if botID == "" {
		botID = hdr.ID
	}
	if !registry.ValidBotID(botID) {
		return fail(argErr("bot_id", "%q is not st-<uuid>", botID))
	}
	if hdr.ID != botID {
		return fail(argErr("archive", "bot.yaml declares id %q, not %s", hdr.ID, botID))
	}
	if len(note) > maxName {
		return fail(argErr("note", "at most %d characters", maxName))
	}
	if _, _, err := s.Store.Bots.Get(ctx, registry.BotKey(botID)); errors.Is(err, registry.ErrNotFound) {
		name := cmpOr(hdr.Name, botID)
		if _, _, err := s.CreateBot(ctx, botID, name, managed); err != nil && !errors.Is(err, registry.ErrExists) {
			return fail(err)
		}
	} else if err != nil {
		return fail(err)
	}
	packed, err := files.Pack()
	if err != nil {
		return fail(err)
	}
	digest := files.Digest()
	// The archive goes first: a version is recorded only once its content
	// is stored, so a published version always loads.
	if err := s.Store.PutBotArchive(ctx, botID, digest, packed); err != nil {
		return fail(err)
	}
	var version int
	var created bool
	rec, rev, err := s.Store.Bots.Update(ctx, registry.BotKey(botID), 0, func(r *registry.BotRecord) error {
		version, created = 0, false
		for _, v := range r.Versions {
			if v.Digest == digest {
				version = v.Version
			}
		}
		if version == 0 {
			version, created = r.LatestVersion()+1, true
			r.Versions = append(r.Versions, registry.BotVersion{
				Version: version, Digest: digest, Size: int64(len(packed)), Files: len(files), Created: s.now(), Note: note,
			})
		}
		changed := created
		if publish && r.Published != version {
			publishLocked(r, version)
			changed = true
		}
		if !changed {
			return registry.ErrUnchanged
		}
		r.Updated = s.now()
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return rec, rev, version, created, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func publishLocked(r *registry.BotRecord, v int) {
	if r.Published != 0 {
		r.PublishHistory = append(r.PublishHistory, r.Published)
		if len(r.PublishHistory) > 50 {
			r.PublishHistory = r.PublishHistory[len(r.PublishHistory)-50:]
		}
	}
	r.Published = v
}

// ExportBot returns a version's archive (0: the published one).
func (s *Service) ExportBot(ctx context.Context, id string, version int) ([]byte, registry.BotVersion, error) {
	rec, _, err := s.GetBot(ctx, id)
	if err != nil {
		return nil, registry.BotVersion{}, err
	}
	if version == 0 {
		if rec.Published == 0 {
			return nil, registry.BotVersion{}, precondition("bot %s has no published version; name one", id)
		}
		version = rec.Published
	}
	meta, ok := rec.Version(version)
	if !ok {
		return nil, registry.BotVersion{}, fmt.Errorf("bot %s version %d: %w", id, version, registry.ErrNotFound)
	}
	b, err := s.Store.BotArchive(ctx, id, meta)
	return b, meta, err
}

// PublishBotVersion makes version serve traffic. Every replica switches
// when its watch delivers the change.
func (s *Service) PublishBotVersion(ctx context.Context, id string, version int, expected uint64) (registry.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return registry.BotRecord{}, 0, argErr("bot_id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registry.BotRecord) error {
		if _, ok := r.Version(version); !ok {
			return fmt.Errorf("bot %s version %d: %w", id, version, registry.ErrNotFound)
		}
		if r.Published == version {
			return registry.ErrUnchanged
		}
		publishLocked(r, version)
		r.Updated = s.now()
		return nil
	})
}

// RollbackBot re-publishes the version published before the current one.
func (s *Service) RollbackBot(ctx context.Context, id string, expected uint64) (registry.BotRecord, uint64, error) {
	if !registry.ValidBotID(id) {
		return registry.BotRecord{}, 0, argErr("bot_id", "%q is not st-<uuid>", id)
	}
	return s.Store.Bots.Update(ctx, registry.BotKey(id), expected, func(r *registry.BotRecord) error {
		if len(r.PublishHistory) == 0 {
			return precondition("bot %s has no earlier published version to roll back to", id)
		}
		r.Published = r.PublishHistory[len(r.PublishHistory)-1]
		r.PublishHistory = r.PublishHistory[:len(r.PublishHistory)-1]
		r.Updated = s.now()
		return nil
	})
}

// ---- instances ----

// InstanceInput is the settable part of an instance.
type InstanceInput struct {
	BotID             string
	InstanceID        string
	Name              string
	App               string
	Mode              registry.Mode
	PostURL           string
	SyncTimeout       time.Duration
	RetrySchedule     []time.Duration
	MaxConcurrency    int
	StandardResponses map[string]string
}

func (in InstanceInput) validate() error {
	var errs []error
	if !registry.ValidBotID(in.BotID) {
		errs = append(errs, argErr("instance.bot_id", "%q is not st-<uuid>", in.BotID))
	}
	if in.InstanceID != "" && !registry.ValidInstanceID(in.InstanceID) {
		errs = append(errs, argErr("instance.instance_id", "%q must be 1-64 letters, digits, '-' or '_'", in.InstanceID))
	}
	if len(in.Name) > maxName {
		errs = append(errs, argErr("instance.name", "at most %d characters", maxName))
	}
	if !registry.ValidClientID(in.App) {
		errs = append(errs, argErr("instance.app_client_id", "%q is not cs-<uuid>", in.App))
	}
	switch in.Mode {
	case registry.ModeSync:
	case registry.ModeAsync:
		if in.PostURL == "" {
			errs = append(errs, argErr("instance.post_url", "required in async mode"))
		}
	default:
		errs = append(errs, argErr("instance.mode", "must be sync or async"))
	}
	if in.PostURL != "" {
		if u, err := url.Parse(in.PostURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, argErr("instance.post_url", "%q is not an http(s) URL", in.PostURL))
		}
	}
	if in.SyncTimeout < 0 || in.SyncTimeout > 5*time.Minute {
		errs = append(errs, argErr("instance.sync_timeout", "must be between 0 (the default) and 5m"))
	}
	if len(in.RetrySchedule) > 50 {
		errs = append(errs, argErr("instance.retry_schedule", "at most 50 attempts"))
	}
	for i, d := range in.RetrySchedule {
		if d < 0 || d > 24*time.Hour {
			errs = append(errs, argErr(fmt.Sprintf("instance.retry_schedule[%d]", i), "must be between 0 and 24h"))
		}
	}
	if in.MaxConcurrency < 0 || in.MaxConcurrency > 10000 {
		errs = append(errs, argErr("instance.max_concurrency", "must be between 0 (the dispatcher default) and 10000"))
	}
	if len(in.StandardResponses) > maxOverrides {
		errs = append(errs, argErr("instance.standard_responses", "at most %d", maxOverrides))
	}
	for k, v := range in.StandardResponses {
		if k == "" || len(k) > 200 || len(v) > 4000 {
			errs = append(errs, argErr("instance.standard_responses", "keys of 1-200 characters, values of at most 4000"))
			break
		}
	}
	return errors.Join(errs...)
}

func (in InstanceInput) applyTo(r *registry.InstanceRecord) {
	r.Name, r.App, r.Mode, r.PostURL, r.SyncTimeout = in.Name, in.App, in.Mode, in.PostURL, in.SyncTimeout
	r.RetrySchedule, r.MaxConcurrency, r.StandardResponses = in.RetrySchedule, in.MaxConcurrency, in.StandardResponses
}

func instanceEqual(a, b registry.InstanceRecord) bool {
	if len(a.StandardResponses) != len(b.StandardResponses) {
		return false
	}
	for k, v := range a.StandardResponses {
		if w, ok := b.StandardResponses[k]; !ok || v != w {
			return false
		}
	}
	return a.Name == b.Name && a.App == b.App && a.Mode == b.Mode && a.PostURL == b.PostURL &&
		a.SyncTimeout == b.SyncTimeout && slices.Equal(a.RetrySchedule, b.RetrySchedule) && a.MaxConcurrency == b.MaxConcurrency
}

func checkSigningSecret(i int, s string) error {
	if rest, ok := strings.CutPrefix(s, "whsec_"); ok {
		if b, err := base64.StdEncoding.DecodeString(rest); err != nil || len(b) < 16 {
			return argErr(fmt.Sprintf("signing_secrets[%d]", i), "a whsec_ secret needs at least 16 bytes of base64")
		}
		return nil
	}
	if len(s) < 16 {
		return argErr(fmt.Sprintf("signing_secrets[%d]", i), "must be at least 16 characters")
	}
	return nil
}

// CreateInstance creates an instance that is neither approved nor enabled.
// signingSecrets are used as given; with generate a new one is made and
// returned.
func (s *Service) CreateInstance(ctx context.Context, in InstanceInput, accessToken string, signingSecrets []string, generate bool, managed string) (registry.InstanceRecord, uint64, string, error) {
	fail := func(err error) (registry.InstanceRecord, uint64, string, error) {
		return registry.InstanceRecord{}, 0, "", err
	}
	if err := in.validate(); err != nil {
		return fail(err)
	}
	if err := s.refsExist(ctx, in.BotID, in.App); err != nil {
		return fail(err)
	}
	generated := ""
	if generate {
		generated = NewSigningSecret()
		signingSecrets = append([]string{generated}, signingSecrets...)
	}
	now := s.now()
	rec := registry.InstanceRecord{BotID: in.BotID, InstanceID: in.InstanceID, Managed: managed, Created: now, Updated: now}
	in.applyTo(&rec)
	var err error
	if rec.AccessToken, err = s.Sealer.SealAccessToken(in.BotID, in.InstanceID, accessToken); err != nil {
		return fail(err)
	}
	for i, sec := range signingSecrets {
		if err := checkSigningSecret(i, sec); err != nil {
			return fail(err)
		}
		sealed, err := s.Sealer.SealSigningSecret(in.BotID, in.InstanceID, sec)
		if err != nil {
			return fail(err)
		}
		rec.SigningSecrets = append(rec.SigningSecrets, registry.SealedSecret{Sealed: sealed})
	}
	rev, err := s.Store.Instances.Create(ctx, registry.InstanceKey(in.BotID, in.InstanceID), rec)
	if err != nil {
		return fail(err)
	}
	return rec, rev, generated, nil
}

func (s *Service) refsExist(ctx context.Context, botID, app string) error {
	if _, _, err := s.Store.Bots.Get(ctx, registry.BotKey(botID)); errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("bot %s: %w", botID, registry.ErrNotFound)
	} else if err != nil {
		return err
	}
	if _, _, err := s.Store.Apps.Get(ctx, registry.AppKey(app)); errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("app %s: %w", app, registry.ErrNotFound)
	} else if err != nil {
		return err
	}
	return nil
}

func instKey(botID, instanceID string) (string, error) {
	if !registry.ValidBotID(botID) {
		return "", argErr("bot_id", "%q is not st-<uuid>", botID)
	}
	if instanceID != "" && !registry.ValidInstanceID(instanceID) {
		return "", argErr("instance_id", "%q must be 1-64 letters, digits, '-' or '_'", instanceID)
	}
	return registry.InstanceKey(botID, instanceID), nil
}

// GetInstance reads an instance.
func (s *Service) GetInstance(ctx context.Context, botID, instanceID string) (registry.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	return s.Store.Instances.Get(ctx, key)
}

// UpdateInstance replaces the settable fields and, with setToken, the
// access token.
func (s *Service) UpdateInstance(ctx context.Context, in InstanceInput, expected uint64, setToken bool, token string) (registry.InstanceRecord, uint64, error) {
	if err := in.validate(); err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	if err := s.refsExist(ctx, in.BotID, in.App); err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	sealed, err := s.Sealer.SealAccessToken(in.BotID, in.InstanceID, token)
	if err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	return s.Store.Instances.Update(ctx, registry.InstanceKey(in.BotID, in.InstanceID), expected, func(r *registry.InstanceRecord) error {
		before := *r
		in.applyTo(r)
		if setToken {
			r.AccessToken = sealed
		}
		if instanceEqual(before, *r) && !setToken {
			return registry.ErrUnchanged
		}
		r.Updated = s.now()
		return nil
	})
}

// DeleteInstance deletes an instance; its webhook answers 404 at once.
func (s *Service) DeleteInstance(ctx context.Context, botID, instanceID string, expected uint64) error {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return err
	}
	return s.Store.Instances.Delete(ctx, key, expected)
}

// RotateSigningSecret puts a new signing secret first (newSecret, or a
// generated one); the previous current one stays valid for overlap.
func (s *Service) RotateSigningSecret(ctx context.Context, botID, instanceID string, overlap *time.Duration, newSecret string) (registry.InstanceRecord, uint64, string, error) {
	fail := func(err error) (registry.InstanceRecord, uint64, string, error) {
		return registry.InstanceRecord{}, 0, "", err
	}
	key, err := instKey(botID, instanceID)
	if err != nil {
		return fail(err)
	}
	ov, err := s.overlap(overlap)
	if err != nil {
		return fail(err)
	}
	if newSecret == "" {
		newSecret = NewSigningSecret()
	} else if err := checkSigningSecret(0, newSecret); err != nil {
		return fail(err)
	}
	sealed, err := s.Sealer.SealSigningSecret(botID, instanceID, newSecret)
	if err != nil {
		return fail(err)
	}
	rec, rev, err := s.Store.Instances.Update(ctx, key, 0, func(r *registry.InstanceRecord) error {
		now := s.now()
		old := pruneExpired(r.SigningSecrets, now)
		var kept []registry.SealedSecret
		for _, ss := range old {
			switch {
			case !ss.Until.IsZero():
				kept = append(kept, ss)
			case ov > 0:
				kept = append(kept, registry.SealedSecret{Sealed: ss.Sealed, Until: now.Add(ov)})
			}
		}
		r.SigningSecrets = append([]registry.SealedSecret{{Sealed: sealed}}, kept...)
		r.Updated = now
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return rec, rev, newSecret, nil
}

// Approve marks an instance approved by a bots admin.
func (s *Service) Approve(ctx context.Context, botID, instanceID string, by Principal, note string) (registry.InstanceRecord, uint64, error) {
	return s.review(ctx, botID, instanceID, by, note, true)
}

// Reject marks an instance rejected and disables it.
func (s *Service) Reject(ctx context.Context, botID, instanceID string, by Principal, note string) (registry.InstanceRecord, uint64, error) {
	return s.review(ctx, botID, instanceID, by, note, false)
}

func (s *Service) review(ctx context.Context, botID, instanceID string, by Principal, note string, approve bool) (registry.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	if len(note) > 1000 {
		return registry.InstanceRecord{}, 0, argErr("note", "at most 1000 characters")
	}
	return s.Store.Instances.Update(ctx, key, 0, func(r *registry.InstanceRecord) error {
		if r.Approved == approve && r.Rejected == !approve && r.ReviewNote == note && (approve || !r.Enabled) {
			return registry.ErrUnchanged
		}
		r.Approved, r.Rejected = approve, !approve
		if !approve {
			r.Enabled = false
		}
		r.ReviewedBy, r.ReviewNote, r.Updated = string(by), note, s.now()
		return nil
	})
}

// SetEnabled enables or disables an instance. Enabling needs an approved
// instance.
func (s *Service) SetEnabled(ctx context.Context, botID, instanceID string, enabled bool, expected uint64) (registry.InstanceRecord, uint64, error) {
	key, err := instKey(botID, instanceID)
	if err != nil {
		return registry.InstanceRecord{}, 0, err
	}
	return s.Store.Instances.Update(ctx, key, expected, func(r *registry.InstanceRecord) error {
		if enabled && !r.Approved {
			if r.Rejected {
				return precondition("instance %q of bot %s was rejected; a bots admin must approve it before it can be enabled", instanceID, botID)
			}
			return precondition("instance %q of bot %s is not approved yet; a bots admin must approve it before it can be enabled", instanceID, botID)
		}
		if r.Enabled == enabled {
			return registry.ErrUnchanged
		}
		r.Enabled, r.Updated = enabled, s.now()
		return nil
	})
}

// ListInstances pages through the instances, of one bot when botID is set.
func (s *Service) ListInstances(ctx context.Context, botID string, size int, token string) ([]registry.Record[registry.InstanceRecord], string, error) {
	if botID != "" && !registry.ValidBotID(botID) {
		return nil, "", argErr("bot_id", "%q is not st-<uuid>", botID)
	}
	if !s.Store.Instances.ValidPageToken(token) {
		return nil, "", argErr("page_token", "not a token this API issued")
	}
	return s.Store.Instances.Page(ctx, botID, pageSize(size), token)
}

func (s *Service) allInstances(ctx context.Context, botID string) ([]registry.InstanceRecord, error) {
	var out []registry.InstanceRecord
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
