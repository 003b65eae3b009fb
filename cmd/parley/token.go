package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/registry"
)

type tokenOptions struct {
	configFile, appID, user, alg string
	// secret signs instead of the config's client secret (for apps created
	// through the admin API, whose secret only their owner knows).
	secret string
	ttl    time.Duration
	jti    bool
}

func cmdToken(args []string, stdout, stderr io.Writer) int {
	var o tokenOptions
	fs := flag.NewFlagSet("parley token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configFile, "config.file", "", "config file holding the app (default: the built-in one)")
	fs.StringVar(&o.appID, "app", "", "client ID of the app (default: the app of the first webhook instance)")
	fs.StringVar(&o.user, "user", "alice", "user identity, the sub claim")
	fs.StringVar(&o.alg, "alg", registry.HS256, "HS256 or HS512")
	fs.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime (exp); 0 for no exp claim")
	fs.BoolVar(&o.jti, "jti", false, "add a random jti (single-use token; requires -ttl <= 1h)")
	fs.StringVar(&o.secret, "secret", "", "client secret to sign with (for an app created with 'parley admin'; needs -app)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := app.Load(o.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "parley token: %v\n", err)
		return 1
	}
	tok, err := mintToken(cfg.Registry, o, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "parley token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

// mintToken signs a token the way a Kore client does: appId and sub, with
// the app's client secret.
func mintToken(reg registry.Config, o tokenOptions, now time.Time) (string, error) {
	if o.appID == "" {
		if len(reg.Instances) == 0 {
			return "", errors.New("the config has no webhook instance; name the app with -app")
		}
		o.appID = reg.Instances[0].App
	}
	var app *registry.App
	for i := range reg.Apps {
		if reg.Apps[i].ClientID == o.appID {
			app = &reg.Apps[i]
		}
	}
	if o.secret != "" {
		app = &registry.App{ClientID: o.appID, ClientSecret: o.secret}
	}
	if app == nil {
		return "", fmt.Errorf("no app %q in the config (give its secret with -secret)", o.appID)
	}
	method := jwt.GetSigningMethod(o.alg)
	if method == nil || (o.alg != registry.HS256 && o.alg != registry.HS512) {
		return "", fmt.Errorf("-alg %q: use HS256 or HS512", o.alg)
	}
	claims := jwt.MapClaims{"appId": app.ClientID, "sub": o.user, "iat": now.Unix()}
	if o.ttl > 0 {
		claims["exp"] = now.Add(o.ttl).Unix()
	}
	if o.jti {
		if o.ttl <= 0 || o.ttl > time.Hour {
			return "", errors.New("-jti needs -ttl between 1s and 1h (Kore's jti rule)")
		}
		claims["jti"] = uuid.NewString()
	}
	return jwt.NewWithClaims(method, claims).SignedString([]byte(app.ClientSecret))
}
