package registry

import (
	"fmt"
	"time"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// OpenApp turns a stored record into the App services read. Retiring
// secrets past their deadline at now are left out.
func (s *Sealer) OpenApp(r *registryv1.AppRecord, now time.Time) (App, error) {
	a := App{
		ClientID: r.GetClientId(), Name: r.GetName(), Algorithms: r.GetAlgorithms(),
		EnforceJTI: r.GetEnforceJti(), RequireExp: r.GetRequireExp(), EnforceJWE: r.GetEnforceJwe(),
		Audiences: r.GetAudiences(), PublicKey: r.GetPublicKeyPem(), JWEKeyID: r.GetJweKeyId(),
	}
	if len(a.Audiences) == 0 {
		a.Audiences = DefaultAudiences
	}
	id := r.GetClientId()
	var err error
	if a.ClientSecret, err = s.Open(r.GetClientSecret(), ClientSecretAAD(id)); err != nil {
		return App{}, fmt.Errorf("app %s client secret: %w", id, err)
	}
	if a.JWEPrivateKey, err = s.Open(r.GetJwePrivateKey(), JWEKeyAAD(id)); err != nil {
		return App{}, fmt.Errorf("app %s JWE key: %w", id, err)
	}
	for _, rs := range r.GetRetiringSecrets() {
		// A retiring secret always has a deadline; one without is not
		// handed out.
		if rs.GetUntil() == nil || Expired(rs, now) {
			continue
		}
		sec, err := s.Open(rs.GetSealed(), ClientSecretAAD(id))
		if err != nil {
			return App{}, fmt.Errorf("app %s retiring secret: %w", id, err)
		}
		a.RetiringSecrets = append(a.RetiringSecrets, RetiringSecret{Secret: sec, Until: rs.GetUntil().AsTime()})
	}
	return a, nil
}

// OpenInstance turns a stored record into the Instance services read.
// Signing secrets past their deadline at now are left out.
func (s *Sealer) OpenInstance(r *registryv1.InstanceRecord, now time.Time) (Instance, error) {
	in := Instance{
		BotID: r.GetBotId(), InstanceID: r.GetInstanceId(), Name: r.GetName(), App: r.GetAppClientId(),
		Mode: ModeFromProto(r.GetMode()), Enabled: r.GetEnabled(), Approved: r.GetApproved(),
		SyncTimeout: r.GetSyncTimeout().AsDuration(), PostURL: r.GetPostUrl(),
		MaxConcurrency: int(r.GetMaxConcurrency()), StandardResponses: r.GetStandardResponses(),
	}
	for _, d := range r.GetRetrySchedule() {
		in.RetrySchedule = append(in.RetrySchedule, d.AsDuration())
	}
	botID, instID := r.GetBotId(), r.GetInstanceId()
	var err error
	if in.AccessToken, err = s.Open(r.GetAccessToken(), AccessTokenAAD(botID, instID)); err != nil {
		return Instance{}, fmt.Errorf("instance %s/%s access token: %w", botID, instID, err)
	}
	for _, ss := range r.GetSigningSecrets() {
		if Expired(ss, now) {
			continue
		}
		sec, err := s.Open(ss.GetSealed(), SigningSecretAAD(botID, instID))
		if err != nil {
			return Instance{}, fmt.Errorf("instance %s/%s signing secret: %w", botID, instID, err)
		}
		in.SigningSecrets = append(in.SigningSecrets, sec)
	}
	return in, nil
}
