// Package admin is `parley admin`: it manages apps, bots, webhook
// instances and dead letters through the one admin endpoint of a running
// Parley (channels.listen), which serves the dispatcher's services too.
// One file per resource holds its commands.
package admin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
)

const usage = `Usage: parley admin <command> [flags]

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
Dead letters and delivery:
  dlq list [--bot ID [--id INSTANCE]] [--limit N] [--page TOKEN]
  dlq replay|purge (--seq N | --message-id ID | --bot ID [--id INSTANCE])
  dlq enable-channel --bot ID [--id INSTANCE]   (after a 410 or a day of failures)

Every command takes:
  --addr HOST:PORT   admin endpoint, channels.listen (default 127.0.0.1:9090)
  --token T          admin token (default $PARLEY_ADMIN_TOKEN); its role is
                     viewer (lists and gets), developer (changes, replays,
                     purges) or bots_admin (also approves)
  --json             print the response as JSON instead of a table
  --tls, --ca FILE   connect with TLS, optionally trusting FILE
  --timeout 30s

Secrets are printed once, when they are created or rotated.
`

// options are the flags every admin command takes.
type options struct {
	addr, token, ca string
	json, tls       bool
	timeout         time.Duration
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9090", "admin API address")
	fs.StringVar(&o.token, "token", os.Getenv("PARLEY_ADMIN_TOKEN"), "admin token (default $PARLEY_ADMIN_TOKEN)")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.BoolVar(&o.tls, "tls", false, "use TLS")
	fs.StringVar(&o.ca, "ca", "", "CA certificate file to trust (implies --tls)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "call timeout")
}

// client is one run of `parley admin`: the connection and where it prints.
type client struct {
	opts   options
	stdout io.Writer
	stderr io.Writer
	conn   *grpc.ClientConn
	ch     channelsv1.ChannelAdminClient
	dlq    dispatcherv1.DeadLetterAdminClient
}

// Run is `parley admin <group> <verb> [flags]`. It exits 2 on a usage
// error and 1 when the call fails.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := &client{stdout: stdout, stderr: stderr}
	group, verb := args[0], args[1]
	fs := flag.NewFlagSet("parley admin "+group+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.opts.register(fs)
	run, err := c.command(group, verb, fs)
	if err != nil {
		fmt.Fprintf(stderr, "parley admin: %v\n\n%s", err, usage)
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
	return c.report(group, verb, run(ctx))
}

// report prints a command's error and gives its exit code.
func (c *client) report(group, verb string, err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.stderr, "parley admin %s %s: %v\n", group, verb, err)
		return 2
	}
	if st, ok := status.FromError(err); ok {
		fmt.Fprintf(c.stderr, "parley admin %s %s: %s: %s\n", group, verb, st.Code(), st.Message())
	} else {
		fmt.Fprintf(c.stderr, "parley admin %s %s: %v\n", group, verb, err)
	}
	return 1
}

// usageError is a command's complaint about its flags: exit 2, not 1.
type usageError string

func (e usageError) Error() string { return string(e) }

func (c *client) dial() error {
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
func (c *client) command(group, verb string, fs *flag.FlagSet) (func(context.Context) error, error) {
	var run func(context.Context) error
	switch group {
	case "apps":
		run = c.appsCommand(verb, fs)
	case "bots":
		run = c.botsCommand(verb, fs)
	case "instances":
		run = c.instancesCommand(verb, fs)
	case "dlq":
		run = c.deadLettersCommand(verb, fs)
	}
	if run == nil {
		return nil, fmt.Errorf("unknown command %q", group+" "+verb)
	}
	return run, nil
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
