package admin

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
)

// deadLettersCommand registers the flags of `dlq <verb>`; nil for an
// unknown verb.
func (c *client) deadLettersCommand(verb string, fs *flag.FlagSet) func(context.Context) error {
	switch verb {
	case "list":
		var r dispatcherv1.ListDeadLettersRequest
		fs.StringVar(&r.BotId, "bot", "", "only this bot")
		fs.StringVar(&r.InstanceId, "id", "", "only this instance (with --bot)")
		fs.StringVar(&r.PageToken, "page", "", "continue from this page token")
		size := fs.Int("limit", 50, "page size")
		return func(ctx context.Context) error { r.PageSize = int32(*size); return c.deadLettersList(ctx, &r) }
	case "replay", "purge":
		sel := selectorFlags(fs)
		return func(ctx context.Context) error {
			s, err := sel()
			if err != nil {
				return err
			}
			if verb == "purge" {
				return c.deadLettersPurge(ctx, s)
			}
			return c.deadLettersReplay(ctx, s)
		}
	case "enable-channel":
		var ch dispatcherv1.Channel
		fs.StringVar(&ch.BotId, "bot", "", "bot id")
		fs.StringVar(&ch.InstanceId, "id", "", "instance id")
		return func(ctx context.Context) error { return c.enableChannel(ctx, &ch) }
	}
	return nil
}

// selectorFlags registers the flags naming the dead letters a replay or a
// purge acts on; the function it returns checks that exactly one is set.
func selectorFlags(fs *flag.FlagSet) func() (*dispatcherv1.Selector, error) {
	seq := fs.Uint64("seq", 0, "dead letter sequence")
	msgID := fs.String("message-id", "", "message id (webhook-id)")
	bot := fs.String("bot", "", "every dead letter of this bot's instance")
	inst := fs.String("id", "", "instance id (with --bot)")
	return func() (*dispatcherv1.Selector, error) {
		sel := &dispatcherv1.Selector{}
		n := 0
		if *seq != 0 {
			sel.Select, n = &dispatcherv1.Selector_Sequence{Sequence: *seq}, n+1
		}
		if *msgID != "" {
			sel.Select, n = &dispatcherv1.Selector_MessageId{MessageId: *msgID}, n+1
		}
		if *bot != "" {
			sel.Select, n = &dispatcherv1.Selector_Channel{Channel: &dispatcherv1.Channel{BotId: *bot, InstanceId: *inst}}, n+1
		}
		if n != 1 {
			return nil, usageError("name exactly one of --seq, --message-id and --bot")
		}
		return sel, nil
	}
}

func (c *client) deadLettersList(ctx context.Context, r *dispatcherv1.ListDeadLettersRequest) error {
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
		fmt.Fprintf(c.stdout, "(more: --page %s)\n", resp.GetNextPageToken())
	}
	return nil
}

func (c *client) deadLettersReplay(ctx context.Context, sel *dispatcherv1.Selector) error {
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

func (c *client) deadLettersPurge(ctx context.Context, sel *dispatcherv1.Selector) error {
	resp, err := c.dlq.Purge(ctx, &dispatcherv1.PurgeRequest{Selector: sel})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(resp)
	}
	fmt.Fprintf(c.stdout, "purged %d dead letter(s)\n", resp.GetPurged())
	return nil
}

// enableChannel clears the disabled flag the dispatcher set on a channel
// after a 410 or a day of failures (not the registry's enabled flag).
func (c *client) enableChannel(ctx context.Context, ch *dispatcherv1.Channel) error {
	if ch.GetBotId() == "" {
		return usageError("--bot is required")
	}
	resp, err := c.dlq.EnableChannel(ctx, &dispatcherv1.EnableChannelRequest{Channel: ch})
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(resp)
	}
	if resp.GetWasDisabled() {
		fmt.Fprintln(c.stdout, "delivery re-enabled")
	} else {
		fmt.Fprintln(c.stdout, "delivery was not disabled")
	}
	return nil
}
