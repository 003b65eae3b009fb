package admin

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// botsCommand registers the flags of `bots <verb>`; nil for an unknown verb.
func (c *client) botsCommand(verb string, fs *flag.FlagSet) func(context.Context) error {
	switch verb {
	case "list":
		return c.botsList
	case "import":
		file := fs.String("file", "", "tar.gz of the bot directory")
		dir := fs.String("dir", "", "bot directory")
		bot := fs.String("bot", "", "bot id (default: the id in bot.yaml)")
		publish := fs.Bool("publish", false, "publish the imported version")
		note := fs.String("note", "", "version note")
		return func(ctx context.Context) error { return c.botsImport(ctx, *file, *dir, *bot, *publish, *note) }
	case "export":
		bot := fs.String("bot", "", "bot id")
		version := fs.Int("version", 0, "version (default: the published one)")
		out := fs.String("out", "", "file to write the tar.gz to ('-' for stdout)")
		return func(ctx context.Context) error { return c.botsExport(ctx, *bot, *version, *out) }
	case "publish":
		bot := fs.String("bot", "", "bot id")
		version := fs.Int("version", 0, "version to publish")
		return func(ctx context.Context) error {
			return c.printBot(c.ch.PublishBotVersion(ctx, &channelsv1.PublishBotVersionRequest{BotId: *bot, Version: int32(*version)}))
		}
	case "rollback":
		bot := fs.String("bot", "", "bot id")
		return func(ctx context.Context) error {
			return c.printBot(c.ch.RollbackBot(ctx, &channelsv1.RollbackBotRequest{BotId: *bot}))
		}
	}
	return nil
}

const botHeader = "BOT\tNAME\tPUBLISHED\tVERSIONS\tPREVIOUS\tMANAGED BY"

func botRow(b *channelsv1.Bot) []string {
	prev := "-"
	if h := b.GetPublishHistory(); len(h) > 0 {
		prev = strconv.Itoa(int(h[len(h)-1]))
	}
	return []string{b.GetId(), b.GetName(), strconv.Itoa(int(b.GetPublishedVersion())), strconv.Itoa(len(b.GetVersions())), prev, orDash(b.GetManagedBy())}
}

func (c *client) printBot(b *channelsv1.Bot, err error) error {
	if err != nil {
		return err
	}
	if c.opts.json {
		return c.printJSON(b)
	}
	return c.table(botHeader, [][]string{botRow(b)})
}

func (c *client) botsList(ctx context.Context) error {
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

func (c *client) botsImport(ctx context.Context, file, dir, bot string, publish bool, note string) error {
	archive, err := botArchive(file, dir)
	if err != nil {
		return err
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

// botArchive reads the tar.gz of --file, or packs the directory of --dir.
func botArchive(file, dir string) ([]byte, error) {
	switch {
	case (file == "") == (dir == ""):
		return nil, usageError("name exactly one of --file and --dir")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageError("--file: " + err.Error())
		}
		return b, nil
	}
	files, err := registry.ReadDir(dir)
	if err != nil {
		return nil, usageError("--dir: " + err.Error())
	}
	return files.Pack()
}

func (c *client) botsExport(ctx context.Context, bot string, version int, out string) error {
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
