package admin

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// appsCommand registers the flags of `apps <verb>`; nil for an unknown verb.
func (c *client) appsCommand(verb string, fs *flag.FlagSet) func(context.Context) error {
	switch verb {
	case "list":
		return c.appsList
	case "create":
		name := fs.String("name", "", "app name")
		algs := fs.String("alg", "HS256", "comma-separated algorithms")
		pub := fs.String("public-key", "", "PEM file of the client's RSA public key (RS256/RS512)")
		jti := fs.Bool("enforce-jti", false, "require a jti in every token")
		jwe := fs.Bool("enforce-jwe", false, "accept only JWE tokens")
		return func(ctx context.Context) error { return c.appsCreate(ctx, *name, *algs, *pub, *jti, *jwe) }
	case "get":
		app := fs.String("app", "", "client id")
		return func(ctx context.Context) error { return c.appsGet(ctx, *app) }
	case "rotate":
		app := fs.String("app", "", "client id")
		overlap := fs.String("overlap", "", "how long the old secret stays valid (default: the server's)")
		return func(ctx context.Context) error { return c.appsRotate(ctx, *app, *overlap) }
	}
	return nil
}

const appHeader = "CLIENT ID\tNAME\tALGORITHMS\tJTI\tJWE\tRETIRING SECRETS\tMANAGED BY"

func appRow(a *channelsv1.App) []string {
	return []string{a.GetClientId(), a.GetName(), algNames(a.GetAlgorithms()), yesNo(a.GetEnforceJti()), yesNo(a.GetEnforceJwe()),
		strconv.Itoa(len(a.GetRetiringSecretsUntil())), orDash(a.GetManagedBy())}
}

func algNames(as []channelsv1.Algorithm) string {
	var out []string
	for _, a := range as {
		out = append(out, strings.TrimPrefix(a.String(), "ALGORITHM_"))
	}
	return strings.Join(out, ",")
}

func (c *client) appsList(ctx context.Context) error {
	var all []*channelsv1.App
	tok := ""
	for {
		resp, err := c.ch.ListApps(ctx, &channelsv1.ListAppsRequest{PageSize: 500, PageToken: tok})
		if err != nil {
			return err
		}
		all = append(all, resp.GetApps()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	if c.opts.json {
		return c.printJSON(&channelsv1.ListAppsResponse{Apps: all})
	}
	var rows [][]string
	for _, a := range all {
		rows = append(rows, appRow(a))
	}
	return c.table(appHeader, rows)
}

func (c *client) appsCreate(ctx context.Context, name, algs, pubFile string, jti, jwe bool) error {
	app := &channelsv1.App{Name: name, EnforceJti: jti, EnforceJwe: jwe}
	for _, a := range strings.Split(algs, ",") {
		v, ok := channelsv1.Algorithm_value["ALGORITHM_"+strings.ToUpper(strings.TrimSpace(a))]
		if !ok {
			return usageError(fmt.Sprintf("--alg: %q is not HS256, HS512, RS256 or RS512", a))
		}
		app.Algorithms = append(app.Algorithms, channelsv1.Algorithm(v))
	}
	if pubFile != "" {
		b, err := os.ReadFile(pubFile)
		if err != nil {
			return usageError("--public-key: " + err.Error())
		}
		app.PublicKeyPem = string(b)
	}
	resp, err := c.ch.CreateApp(ctx, &channelsv1.CreateAppRequest{App: app})
	if err != nil {
		return err
	}
	return c.printWithSecret(resp, resp.GetApp(), "client secret", resp.GetClientSecret())
}

func (c *client) appsGet(ctx context.Context, id string) error {
	a, err := c.ch.GetApp(ctx, &channelsv1.GetAppRequest{ClientId: id})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(a)
	}
	if err := c.table(appHeader, [][]string{appRow(a)}); err != nil {
		return err
	}
	if a.GetJwePublicJwk() != "" {
		fmt.Fprintf(c.stdout, "\nJWE public key (JWK): %s\n", a.GetJwePublicJwk())
	}
	return nil
}

func (c *client) appsRotate(ctx context.Context, id, overlap string) error {
	d, err := parseOverlap(overlap)
	if err != nil {
		return err
	}
	resp, err := c.ch.RotateAppSecret(ctx, &channelsv1.RotateAppSecretRequest{ClientId: id, Overlap: d})
	if err != nil {
		return err
	}
	return c.printWithSecret(resp, resp.GetApp(), "new client secret", resp.GetClientSecret())
}
