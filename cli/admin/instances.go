package admin

import (
	"context"
	"flag"
	"fmt"
	"strings"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// instancesCommand registers the flags of `instances <verb>`; nil for an
// unknown verb.
func (c *client) instancesCommand(verb string, fs *flag.FlagSet) func(context.Context) error {
	switch verb {
	case "list":
		bot := fs.String("bot", "", "only this bot's instances")
		return func(ctx context.Context) error { return c.instancesList(ctx, *bot) }
	case "create":
		var in channelsv1.WebhookInstance
		mode := fs.String("mode", "sync", "sync or async")
		fs.StringVar(&in.BotId, "bot", "", "bot id")
		fs.StringVar(&in.InstanceId, "id", "", "instance id (empty: the bot's first instance)")
		fs.StringVar(&in.AppClientId, "app", "", "client id of the app")
		fs.StringVar(&in.Name, "name", "", "channel name")
		fs.StringVar(&in.PostUrl, "post-url", "", "POST_URL for async replies")
		token := fs.String("access-token", "", "bearer token sent to POST_URL")
		gen := fs.Bool("signing-secret", false, "generate a signing secret for async replies")
		return func(ctx context.Context) error { return c.instancesCreate(ctx, &in, *mode, *token, *gen) }
	case "approve", "reject":
		return c.instancesReview(verb, fs)
	case "enable", "disable":
		return c.instancesSwitch(verb, fs)
	case "rotate":
		return c.instancesRotate(fs)
	}
	return nil
}

const instanceHeader = "BOT\tINSTANCE\tNAME\tAPP\tMODE\tSTATE\tPOST_URL"

func instanceRow(in *channelsv1.WebhookInstance) []string {
	return []string{in.GetBotId(), orDash(in.GetInstanceId()), orDash(in.GetName()), in.GetAppClientId(), modeName(in.GetMode()),
		instanceState(in), orDash(in.GetPostUrl())}
}

func modeName(m channelsv1.IntegrationMode) string {
	return strings.ToLower(strings.TrimPrefix(m.String(), "INTEGRATION_MODE_"))
}

func instanceState(in *channelsv1.WebhookInstance) string {
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

func (c *client) printInstance(in *channelsv1.WebhookInstance, err error) error {
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(in)
	}
	return c.table(instanceHeader, [][]string{instanceRow(in)})
}

func (c *client) instancesList(ctx context.Context, bot string) error {
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
		rows = append(rows, instanceRow(in))
	}
	return c.table(instanceHeader, rows)
}

func (c *client) instancesCreate(ctx context.Context, in *channelsv1.WebhookInstance, mode, token string, gen bool) error {
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

// instancesReview is `instances approve|reject`, for bots admins.
func (c *client) instancesReview(verb string, fs *flag.FlagSet) func(context.Context) error {
	var r channelsv1.ReviewRequest
	fs.StringVar(&r.BotId, "bot", "", "bot id")
	fs.StringVar(&r.InstanceId, "id", "", "instance id")
	fs.StringVar(&r.Note, "note", "", "review note")
	return func(ctx context.Context) error {
		if verb == "approve" {
			return c.printInstance(c.ch.ApproveWebhookInstance(ctx, &r))
		}
		return c.printInstance(c.ch.RejectWebhookInstance(ctx, &r))
	}
}

// instancesSwitch is `instances enable|disable`.
func (c *client) instancesSwitch(verb string, fs *flag.FlagSet) func(context.Context) error {
	var r channelsv1.InstanceRef
	fs.StringVar(&r.BotId, "bot", "", "bot id")
	fs.StringVar(&r.InstanceId, "id", "", "instance id")
	return func(ctx context.Context) error {
		if verb == "enable" {
			return c.printInstance(c.ch.EnableWebhookInstance(ctx, &r))
		}
		return c.printInstance(c.ch.DisableWebhookInstance(ctx, &r))
	}
}

// instancesRotate is `instances rotate`: a new signing secret.
func (c *client) instancesRotate(fs *flag.FlagSet) func(context.Context) error {
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
	}
}
