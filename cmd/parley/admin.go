package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
)

const adminUsage = `Usage: parley admin <command> [flags]

Apps:
  apps list
  apps create --name N [--alg HS256,HS512|RS256,RS512] [--public-key FILE] [--enforce-jti] [--enforce-jwe]
  apps get --app ID                   (prints the JWE public key as a JWK)
  apps rotate --app ID [--overlap 24h]
Bots:
  bots list
  bots import (--file BOT.tgz | --dir DIR) [--bot ID] [--publish] [--note TEXT]
  bots export --bot ID [--version N] --out FILE
  bots publish --bot ID --version N
  bots rollback --bot ID
Webhook instances:
  instances list [--bot ID]
  instances create --bot ID [--id INSTANCE] --app ID [--name N] [--mode sync|async] [--post-url URL]
                   [--access-token T] [--signing-secret]
  instances approve|reject --bot ID [--id INSTANCE] [--note TEXT]      (bots admins)
  instances enable|disable --bot ID [--id INSTANCE]
  instances rotate --bot ID [--id INSTANCE] [--overlap 24h]           (signing secret)
Dead letters:
  dlq list [--bot ID [--id INSTANCE]]
  dlq replay (--seq N | --message-id ID | --bot ID [--id INSTANCE])

Every command takes:
  --addr HOST:PORT   admin API (default 127.0.0.1:9090)
  --token T          admin token (default $PARLEY_ADMIN_TOKEN)
  --json             print the response as JSON instead of a table
  --tls, --ca FILE   connect with TLS, optionally trusting FILE
  --timeout 30s

Secrets are printed once, when they are created or rotated.
`

// adminOpts are the flags every admin command takes.
type adminOpts struct {
	addr, token, ca string
	json, tls       bool
	timeout         time.Duration
}

func (o *adminOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9090", "admin API address")
	fs.StringVar(&o.token, "token", os.Getenv("PARLEY_ADMIN_TOKEN"), "admin token (default $PARLEY_ADMIN_TOKEN)")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.BoolVar(&o.tls, "tls", false, "use TLS")
	fs.StringVar(&o.ca, "ca", "", "CA certificate file to trust (implies --tls)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "call timeout")
}

// adminCmd is one run of `parley admin`.
type adminCmd struct {
	opts   adminOpts
	stdout io.Writer
	stderr io.Writer
	conn   *grpc.ClientConn
	ch     channelsv1.ChannelAdminClient
	dlq    dispatcherv1.DeadLetterAdminClient
}

func cmdAdmin(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := &adminCmd{stdout: stdout, stderr: stderr}
	group, verb := args[0], args[1]
	fs := flag.NewFlagSet("parley admin "+group+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.opts.register(fs)
	run, err := c.command(group, verb, fs)
	if err != nil {
		fmt.Fprintf(stderr, "parley admin: %v\n\n%s", err, adminUsage)
		return 2
	}
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley admin: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if c.opts.token == "" {
		fmt.Fprintln(stderr, "parley admin: no admin token: pass --token or set PARLEY_ADMIN_TOKEN")
		return 2
	}
	if err := c.dial(); err != nil {
		fmt.Fprintf(stderr, "parley admin: %v\n", err)
		return 1
	}
	defer func() { _ = c.conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.opts.token)
	if err := run(ctx); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "parley admin %s %s: %v\n", group, verb, err)
			return 2
		}
		if st, ok := status.FromError(err); ok {
			fmt.Fprintf(stderr, "parley admin %s %s: %s: %s\n", group, verb, st.Code(), st.Message())
		} else {
			fmt.Fprintf(stderr, "parley admin %s %s: %v\n", group, verb, err)
		}
		return 1
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) }

func (c *adminCmd) dial() error {
	creds := insecure.NewCredentials()
	if c.opts.tls || c.opts.ca != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.opts.ca != "" {
			pem, err := os.ReadFile(c.opts.ca)
			if err != nil {
				return fmt.Errorf("--ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--ca: %s holds no PEM certificate", c.opts.ca)
			}
			cfg.RootCAs = pool
		}
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(c.opts.addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(registry.MaxBotArchiveBytes+1<<20)))
	if err != nil {
		return fmt.Errorf("--addr %s: %w", c.opts.addr, err)
	}
	c.conn = conn
	c.ch = channelsv1.NewChannelAdminClient(conn)
	c.dlq = dispatcherv1.NewDeadLetterAdminClient(conn)
	return nil
}

// command registers a command's flags and returns what runs it.
func (c *adminCmd) command(group, verb string, fs *flag.FlagSet) (func(context.Context) error, error) {
	switch group + " " + verb {
	case "apps list":
		return c.appsList, nil
	case "apps create":
		name := fs.String("name", "", "app name")
		algs := fs.String("alg", "HS256", "comma-separated algorithms")
		pub := fs.String("public-key", "", "PEM file of the client's RSA public key (RS256/RS512)")
		jti := fs.Bool("enforce-jti", false, "require a jti in every token")
		jwe := fs.Bool("enforce-jwe", false, "accept only JWE tokens")
		return func(ctx context.Context) error { return c.appsCreate(ctx, *name, *algs, *pub, *jti, *jwe) }, nil
	case "apps get":
		app := fs.String("app", "", "client id")
		return func(ctx context.Context) error { return c.appsGet(ctx, *app) }, nil
	case "apps rotate":
		app := fs.String("app", "", "client id")
		overlap := fs.String("overlap", "", "how long the old secret stays valid (default: the server's)")
		return func(ctx context.Context) error { return c.appsRotate(ctx, *app, *overlap) }, nil
	case "bots list":
		return c.botsList, nil
	case "bots import":
		file := fs.String("file", "", "tar.gz of the bot directory")
		dir := fs.String("dir", "", "bot directory")
		bot := fs.String("bot", "", "bot id (default: the id in bot.yaml)")
		publish := fs.Bool("publish", false, "publish the imported version")
		note := fs.String("note", "", "version note")
		return func(ctx context.Context) error { return c.botsImport(ctx, *file, *dir, *bot, *publish, *note) }, nil
	case "bots export":
		bot := fs.String("bot", "", "bot id")
		version := fs.Int("version", 0, "version (default: the published one)")
		out := fs.String("out", "", "file to write the tar.gz to ('-' for stdout)")
		return func(ctx context.Context) error { return c.botsExport(ctx, *bot, *version, *out) }, nil
	case "bots publish":
		bot := fs.String("bot", "", "bot id")
		version := fs.Int("version", 0, "version to publish")
		return func(ctx context.Context) error {
			return c.printBot(c.ch.PublishBotVersion(ctx, &channelsv1.PublishBotVersionRequest{BotId: *bot, Version: int32(*version)}))
		}, nil
	case "bots rollback":
		bot := fs.String("bot", "", "bot id")
		return func(ctx context.Context) error {
			return c.printBot(c.ch.RollbackBot(ctx, &channelsv1.RollbackBotRequest{BotId: *bot}))
		}, nil
	case "instances list":
		bot := fs.String("bot", "", "only this bot's instances")
		return func(ctx context.Context) error { return c.instancesList(ctx, *bot) }, nil
	case "instances create":
		var in channelsv1.WebhookInstance
		mode := fs.String("mode", "sync", "sync or async")
		fs.StringVar(&in.BotId, "bot", "", "bot id")
		fs.StringVar(&in.InstanceId, "id", "", "instance id (empty: the bot's first instance)")
		fs.StringVar(&in.AppClientId, "app", "", "client id of the app")
		fs.StringVar(&in.Name, "name", "", "channel name")
		fs.StringVar(&in.PostUrl, "post-url", "", "POST_URL for async replies")
		token := fs.String("access-token", "", "bearer token sent to POST_URL")
		gen := fs.Bool("signing-secret", false, "generate a signing secret for async replies")
		return func(ctx context.Context) error { return c.instancesCreate(ctx, &in, *mode, *token, *gen) }, nil
	case "instances approve", "instances reject":
		var r channelsv1.ReviewRequest
		fs.StringVar(&r.BotId, "bot", "", "bot id")
		fs.StringVar(&r.InstanceId, "id", "", "instance id")
		fs.StringVar(&r.Note, "note", "", "review note")
		return func(ctx context.Context) error {
			if verb == "approve" {
				return c.printInstance(c.ch.ApproveWebhookInstance(ctx, &r))
			}
			return c.printInstance(c.ch.RejectWebhookInstance(ctx, &r))
		}, nil
	case "instances enable", "instances disable":
		var r channelsv1.InstanceRef
		fs.StringVar(&r.BotId, "bot", "", "bot id")
		fs.StringVar(&r.InstanceId, "id", "", "instance id")
		return func(ctx context.Context) error {
			if verb == "enable" {
				return c.printInstance(c.ch.EnableWebhookInstance(ctx, &r))
			}
			return c.printInstance(c.ch.DisableWebhookInstance(ctx, &r))
		}, nil
	case "instances rotate":
		var r channelsv1.RotateSigningSecretRequest
		fs.StringVar(&r.BotId, "bot", "", "bot id")
		fs.StringVar(&r.InstanceId, "id", "", "instance id")
		overlap := fs.String("overlap", "", "how long the old secret stays valid (default: the server's)")
		return func(ctx context.Context) error {
			d, err := parseOverlap(*overlap)
			if err != nil {
				return err
			}
			r.Overlap = d
			resp, err := c.ch.RotateSigningSecret(ctx, &r)
			if err != nil {
				return err
			}
			return c.printWithSecret(resp, resp.GetInstance(), "signing secret", resp.GetSigningSecret())
		}, nil
	case "dlq list":
		var r dispatcherv1.ListDeadLettersRequest
		fs.StringVar(&r.BotId, "bot", "", "only this bot")
		fs.StringVar(&r.InstanceId, "id", "", "only this instance (with --bot)")
		size := fs.Int("limit", 50, "page size")
		return func(ctx context.Context) error { r.PageSize = int32(*size); return c.dlqList(ctx, &r) }, nil
	case "dlq replay":
		seq := fs.Uint64("seq", 0, "dead letter sequence")
		msgID := fs.String("message-id", "", "message id (webhook-id)")
		bot := fs.String("bot", "", "every dead letter of this bot's instance")
		inst := fs.String("id", "", "instance id (with --bot)")
		return func(ctx context.Context) error { return c.dlqReplay(ctx, *seq, *msgID, *bot, *inst) }, nil
	}
	return nil, fmt.Errorf("unknown command %q", group+" "+verb)
}

func parseOverlap(s string) (*durationpb.Duration, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, usageError("--overlap: " + err.Error())
	}
	return durationpb.New(d), nil
}

// ---- output ----

func (c *adminCmd) printJSON(m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: false}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, string(b))
	return err
}

func (c *adminCmd) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func algNames(as []channelsv1.Algorithm) string {
	var out []string
	for _, a := range as {
		out = append(out, strings.TrimPrefix(a.String(), "ALGORITHM_"))
	}
	return strings.Join(out, ",")
}

func (c *adminCmd) appRow(a *channelsv1.App) []string {
	return []string{a.GetClientId(), a.GetName(), algNames(a.GetAlgorithms()), yesNo(a.GetEnforceJti()), yesNo(a.GetEnforceJwe()),
		strconv.Itoa(len(a.GetRetiringSecretsUntil())), orDash(a.GetManagedBy())}
}

const appHeader = "CLIENT ID\tNAME\tALGORITHMS\tJTI\tJWE\tRETIRING SECRETS\tMANAGED BY"

func modeName(m channelsv1.IntegrationMode) string {
	return strings.ToLower(strings.TrimPrefix(m.String(), "INTEGRATION_MODE_"))
}

func instState(in *channelsv1.WebhookInstance) string {
	switch {
	case in.GetRejected():
		return "rejected"
	case !in.GetApproved():
		return "awaiting approval"
	case in.GetEnabled():
		return "serving"
	}
	return "disabled"
}

const instHeader = "BOT\tINSTANCE\tNAME\tAPP\tMODE\tSTATE\tPOST_URL"

func instRow(in *channelsv1.WebhookInstance) []string {
	return []string{in.GetBotId(), orDash(in.GetInstanceId()), orDash(in.GetName()), in.GetAppClientId(), modeName(in.GetMode()),
		instState(in), orDash(in.GetPostUrl())}
}

const botHeader = "BOT\tNAME\tPUBLISHED\tVERSIONS\tPREVIOUS\tMANAGED BY"

func botRow(b *channelsv1.Bot) []string {
	prev := "-"
	if h := b.GetPublishHistory(); len(h) > 0 {
		prev = strconv.Itoa(int(h[len(h)-1]))
	}
	return []string{b.GetId(), b.GetName(), strconv.Itoa(int(b.GetPublishedVersion())), strconv.Itoa(len(b.GetVersions())), prev, orDash(b.GetManagedBy())}
}

func (c *adminCmd) printInstance(in *channelsv1.WebhookInstance, err error) error {
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(in)
	}
	return c.table(instHeader, [][]string{instRow(in)})
}

func (c *adminCmd) printBot(b *channelsv1.Bot, err error) error {
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(b)
	}
	return c.table(botHeader, [][]string{botRow(b)})
}

// printWithSecret prints a created or rotated object and its secret, the
// only time the secret is shown.
func (c *adminCmd) printWithSecret(full proto.Message, obj proto.Message, what, secret string) error {
	if c.opts.json {
		return c.printJSON(full)
	}
	switch o := obj.(type) {
	case *channelsv1.App:
		if err := c.table(appHeader, [][]string{c.appRow(o)}); err != nil {
			return err
		}
	case *channelsv1.WebhookInstance:
		if err := c.table(instHeader, [][]string{instRow(o)}); err != nil {
			return err
		}
	}
	if secret != "" {
		fmt.Fprintf(c.stdout, "\n%s: %s\nStore it now: it is not shown again.\n", what, secret)
	}
	return nil
}

// ---- commands ----

func (c *adminCmd) appsList(ctx context.Context) error {
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
		rows = append(rows, c.appRow(a))
	}
	return c.table(appHeader, rows)
}

func (c *adminCmd) appsCreate(ctx context.Context, name, algs, pubFile string, jti, jwe bool) error {
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

func (c *adminCmd) appsGet(ctx context.Context, id string) error {
	a, err := c.ch.GetApp(ctx, &channelsv1.GetAppRequest{ClientId: id})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(a)
	}
	if err := c.table(appHeader, [][]string{c.appRow(a)}); err != nil {
		return err
	}
	if a.GetJwePublicJwk() != "" {
		fmt.Fprintf(c.stdout, "\nJWE public key (JWK): %s\n", a.GetJwePublicJwk())
	}
	return nil
}

func (c *adminCmd) appsRotate(ctx context.Context, id, overlap string) error {
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

func (c *adminCmd) botsList(ctx context.Context) error {
	var all []*channelsv1.Bot
	tok := ""
	for {
		resp, err := c.ch.ListBots(ctx, &channelsv1.ListBotsRequest{PageSize: 500, PageToken: tok})
		if err != nil {
			return err
		}
		all = append(all, resp.GetBots()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	if c.opts.json {
		return c.printJSON(&channelsv1.ListBotsResponse{Bots: all})
	}
	var rows [][]string
	for _, b := range all {
		rows = append(rows, botRow(b))
	}
	return c.table(botHeader, rows)
}

func (c *adminCmd) botsImport(ctx context.Context, file, dir, bot string, publish bool, note string) error {
	var archive []byte
	switch {
	case (file == "") == (dir == ""):
		return usageError("name exactly one of --file and --dir")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return usageError("--file: " + err.Error())
		}
		archive = b
	default:
		files, err := registry.ReadDir(dir)
		if err != nil {
			return usageError("--dir: " + err.Error())
		}
		if archive, err = files.Pack(); err != nil {
			return err
		}
	}
	resp, err := c.ch.ImportBot(ctx, &channelsv1.ImportBotRequest{BotId: bot, Archive: archive, Publish: publish, Note: note})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(resp)
	}
	if err := c.table(botHeader, [][]string{botRow(resp.GetBot())}); err != nil {
		return err
	}
	what := "stored as version"
	if !resp.GetNewVersion() {
		what = "identical to existing version"
	}
	fmt.Fprintf(c.stdout, "\n%s %d\n", what, resp.GetVersion())
	return nil
}

func (c *adminCmd) botsExport(ctx context.Context, bot string, version int, out string) error {
	if out == "" {
		return usageError("--out is required ('-' for stdout)")
	}
	resp, err := c.ch.ExportBot(ctx, &channelsv1.ExportBotRequest{BotId: bot, Version: int32(version)})
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = c.stdout.Write(resp.GetArchive())
		return err
	}
	if err := os.WriteFile(out, resp.GetArchive(), 0o600); err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(&channelsv1.ExportBotResponse{Version: resp.GetVersion(), Digest: resp.GetDigest()})
	}
	fmt.Fprintf(c.stdout, "wrote version %d (%s) to %s\n", resp.GetVersion(), resp.GetDigest(), out)
	return nil
}

func (c *adminCmd) instancesList(ctx context.Context, bot string) error {
	var all []*channelsv1.WebhookInstance
	tok := ""
	for {
		resp, err := c.ch.ListWebhookInstances(ctx, &channelsv1.ListWebhookInstancesRequest{BotId: bot, PageSize: 500, PageToken: tok})
		if err != nil {
			return err
		}
		all = append(all, resp.GetInstances()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	if c.opts.json {
		return c.printJSON(&channelsv1.ListWebhookInstancesResponse{Instances: all})
	}
	var rows [][]string
	for _, in := range all {
		rows = append(rows, instRow(in))
	}
	return c.table(instHeader, rows)
}

func (c *adminCmd) instancesCreate(ctx context.Context, in *channelsv1.WebhookInstance, mode, token string, gen bool) error {
	switch mode {
	case "sync":
		in.Mode = channelsv1.IntegrationMode_INTEGRATION_MODE_SYNC
	case "async":
		in.Mode = channelsv1.IntegrationMode_INTEGRATION_MODE_ASYNC
	default:
		return usageError(fmt.Sprintf("--mode: %q is not sync or async", mode))
	}
	resp, err := c.ch.CreateWebhookInstance(ctx, &channelsv1.CreateWebhookInstanceRequest{Instance: in, AccessToken: token, GenerateSigningSecret: gen})
	if err != nil {
		return err
	}
	if err := c.printWithSecret(resp, resp.GetInstance(), "signing secret", resp.GetSigningSecret()); err != nil {
		return err
	}
	if !c.opts.json {
		fmt.Fprintln(c.stdout, "\nThe channel serves once a bots admin approves it and it is enabled.")
	}
	return nil
}

func (c *adminCmd) dlqList(ctx context.Context, r *dispatcherv1.ListDeadLettersRequest) error {
	resp, err := c.dlq.List(ctx, r)
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(resp)
	}
	var rows [][]string
	for _, d := range resp.GetDeadLetters() {
		at := "-"
		if d.GetDeadLetteredAt() != nil {
			at = d.GetDeadLetteredAt().AsTime().Format(time.RFC3339)
		}
		rows = append(rows, []string{strconv.FormatUint(d.GetSequence(), 10), d.GetMessageId(), d.GetBotId(), orDash(d.GetInstanceId()),
			d.GetReason(), strconv.Itoa(len(d.GetAttempts())), strconv.Itoa(int(d.GetLastStatusCode())), at})
	}
	if err := c.table("SEQ\tMESSAGE ID\tBOT\tINSTANCE\tREASON\tATTEMPTS\tLAST STATUS\tDEAD SINCE", rows); err != nil {
		return err
	}
	if resp.GetNextPageToken() != "" {
		fmt.Fprintln(c.stdout, "(more: raise --limit)")
	}
	return nil
}

func (c *adminCmd) dlqReplay(ctx context.Context, seq uint64, msgID, bot, inst string) error {
	sel := &dispatcherv1.Selector{}
	n := 0
	if seq != 0 {
		sel.Select, n = &dispatcherv1.Selector_Sequence{Sequence: seq}, n+1
	}
	if msgID != "" {
		sel.Select, n = &dispatcherv1.Selector_MessageId{MessageId: msgID}, n+1
	}
	if bot != "" {
		sel.Select, n = &dispatcherv1.Selector_Channel{Channel: &dispatcherv1.Channel{BotId: bot, InstanceId: inst}}, n+1
	}
	if n != 1 {
		return usageError("name exactly one of --seq, --message-id and --bot")
	}
	resp, err := c.dlq.Replay(ctx, &dispatcherv1.ReplayRequest{Selector: sel})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(resp)
	}
	fmt.Fprintf(c.stdout, "replayed %d dead letter(s)\n", resp.GetReplayed())
	return nil
}
