// Package token mints webhook JWTs the way a Kore client does, for
// `parley token` and for the tools that talk to the webhook.
package token

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/cli"
	"github.com/parleyhq/parley/platform/registry"
)

// Options say which app signs the token and what it claims.
type Options struct {
	// AppID is the app's client ID; empty: the app of the first webhook
	// instance.
	AppID string
	User  string // the sub claim
	Alg   string // HS256 or HS512
	// Secret signs instead of the config's client secret (for apps created
	// through the admin API, whose secret only their owner knows).
	Secret string
	TTL    time.Duration // 0: no exp claim
	JTI    bool          // add a random jti (single-use token)
}

// Run is `parley token`: it prints a token for an app of the config.
func Run(args []string, stdout, stderr io.Writer, load cli.LoadConfig) int {
	var configFile string
	var o Options
	fs := flag.NewFlagSet("parley token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&configFile, "config.file", "", "config file holding the app (default: the built-in one)")
	fs.StringVar(&o.AppID, "app", "", "client ID of the app (default: the app of the first webhook instance)")
	fs.StringVar(&o.User, "user", "alice", "user identity, the sub claim")
	fs.StringVar(&o.Alg, "alg", registry.HS256, "HS256 or HS512")
	fs.DurationVar(&o.TTL, "ttl", time.Hour, "lifetime (exp); 0 for no exp claim")
	fs.BoolVar(&o.JTI, "jti", false, "add a random jti (single-use token; requires -ttl <= 1h)")
	fs.StringVar(&o.Secret, "secret", "", "client secret to sign with (for an app created with 'parley admin'; needs -app)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := load(configFile)
	if err != nil {
		fmt.Fprintf(stderr, "parley token: %v\n", err)
		return 1
	}
	tok, err := Mint(cfg.Registry, o, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "parley token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

// Mint signs a token the way a Kore client does: appId and sub, with the
// app's client secret.
func Mint(reg registry.Config, o Options, now time.Time) (string, error) {
	if o.AppID == "" {
		if len(reg.Instances) == 0 {
			return "", errors.New("the config has no webhook instance; name the app with -app")
		}
		o.AppID = reg.Instances[0].App
	}
	var app *registry.App
	for i := range reg.Apps {
		if reg.Apps[i].ClientID == o.AppID {
			app = &reg.Apps[i]
		}
	}
	if o.Secret != "" {
		app = &registry.App{ClientID: o.AppID, ClientSecret: o.Secret}
	}
	if app == nil {
		return "", fmt.Errorf("no app %q in the config (give its secret with -secret)", o.AppID)
	}
	method := jwt.GetSigningMethod(o.Alg)
	if method == nil || (o.Alg != registry.HS256 && o.Alg != registry.HS512) {
		return "", fmt.Errorf("-alg %q: use HS256 or HS512", o.Alg)
	}
	claims := jwt.MapClaims{"appId": app.ClientID, "sub": o.User, "iat": now.Unix()}
	if o.TTL > 0 {
		claims["exp"] = now.Add(o.TTL).Unix()
	}
	if o.JTI {
		if o.TTL <= 0 || o.TTL > time.Hour {
			return "", errors.New("-jti needs -ttl between 1s and 1h (Kore's jti rule)")
		}
		claims["jti"] = uuid.NewString()
	}
	return jwt.NewWithClaims(method, claims).SignedString([]byte(app.ClientSecret))
}
