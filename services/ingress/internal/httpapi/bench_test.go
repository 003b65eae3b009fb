package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/ingress/internal/auth"
	"github.com/parleyhq/parley/services/ingress/internal/payload"
)

type benchApps map[string]registry.App

func (a benchApps) App(id string) (registry.App, bool) { x, ok := a[id]; return x, ok }

type noReplay struct{}

func (noReplay) Reserve(context.Context, string, string, time.Time) (bool, error) { return true, nil }

// BenchmarkVerifyAndDecode is the per-request CPU of the front door before
// the bus: the JWT check and the payload decoding.
func BenchmarkVerifyAndDecode(b *testing.B) {
	const app = "cs-11111111-1111-1111-1111-111111111111"
	v := auth.NewVerifier(benchApps{app: {ClientID: app, ClientSecret: "bench-secret-0123456789", Algorithms: []string{"HS256"}, Audiences: registry.DefaultAudiences}}, noReplay{}, time.Minute)
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"appId": app, "sub": "u", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("bench-secret-0123456789"))
	header := "bearer " + tok
	body := []byte(`{"message":{"text":"show my balance"},"from":{"id":"user-42","userInfo":{"firstName":"Ann"}},
		"metaTags":{"messageLevelTags":[{"name":"channel","value":"ivr"}]},"customData":{"accountId":"12345","tier":"gold"}}`)
	inst := registry.Instance{App: app}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, header, inst); err != nil {
			b.Fatal(err)
		}
		if _, err := payload.Decode(body, payload.Limits{MaxTextChars: 3000}); err != nil {
			b.Fatal(err)
		}
	}
}
