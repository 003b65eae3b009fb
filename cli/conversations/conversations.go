// Package conversations plays conversation tests through a running
// Parley's webhook: `parley test conversations DIR`.
package conversations

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"time"

	"github.com/parleyhq/parley/cli"
	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/convtest"
)

// Run is `parley test`; its one subject so far is conversations:
//
//	parley test conversations DIR
//
// DIR holds *.yaml conversation files, or is a bot directory whose tests/
// holds them. The bot is the one DIR belongs to (its bot.yaml), else -bot,
// else the first webhook instance of the config.
func Run(args []string, stdout, stderr io.Writer, load cli.LoadConfig) int {
	if len(args) == 0 || args[0] != "conversations" {
		fmt.Fprintln(stderr, "usage: parley test conversations [flags] DIR")
		return 2
	}
	var configFile, baseURL, botID, instanceID string
	fs := flag.NewFlagSet("parley test conversations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&configFile, "config.file", "", "config file (default: the built-in one)")
	fs.StringVar(&baseURL, "url", "", "Parley's base URL (default: from ingress.listen)")
	fs.StringVar(&botID, "bot", "", "bot id (default: the bot of DIR, else the first instance's)")
	fs.StringVar(&instanceID, "instance", "", "webhook instance id (default: the bot's first instance)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: parley test conversations [flags] DIR")
		return 2
	}
	dir := fs.Arg(0)
	files, botDir := conversationFiles(dir)
	if len(files) == 0 {
		fmt.Fprintf(stderr, "parley test: no *.yaml conversations in %s\n", dir)
		return 1
	}
	cfg, err := load(configFile)
	if err != nil {
		fmt.Fprintf(stderr, "parley test: %v\n", err)
		return 1
	}
	if botID == "" && botDir != "" {
		if def, _, err := botdef.Read(botDir); err == nil {
			botID = def.ID
		}
	}
	in, ok := findInstance(cfg.Registry, botID, instanceID)
	if !ok || in.App == "" {
		fmt.Fprintf(stderr, "parley test: the config has no webhook instance for bot %q\n", botID)
		return 1
	}
	if baseURL == "" {
		baseURL = "http://" + cfg.WebhookListen
	}
	return play(cfg.Registry, baseURL, in, files, stdout, stderr)
}

// findInstance is the first webhook instance of botID (any bot when empty)
// whose id is instanceID (any when empty).
func findInstance(reg registry.Config, botID, instanceID string) (registry.Instance, bool) {
	for _, in := range reg.Instances {
		if (botID == "" || in.BotID == botID) && (instanceID == "" || in.InstanceID == instanceID) {
			return in, true
		}
	}
	return registry.Instance{}, false
}

// play runs the conversation files against the instance's webhook, each
// user with a token of the instance's app.
func play(reg registry.Config, baseURL string, in registry.Instance, files []string, stdout, stderr io.Writer) int {
	botID, instanceID, appID := in.BotID, in.InstanceID, in.App
	var mintErr error
	mint := func(user string) string {
		tok, err := token.Mint(reg, token.Options{AppID: appID, User: user, Alg: "HS256", TTL: time.Hour}, time.Now())
		if err != nil {
			mintErr = err
		}
		return tok
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	passed, failed, err := convtest.Run(ctx, baseURL, mint, botID, instanceID, files, stdout)
	if mintErr != nil {
		fmt.Fprintf(stderr, "parley test: %v\n", mintErr)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "parley test: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// conversationFiles lists DIR/*.yaml, or DIR/tests/*.yaml for a bot
// directory; botDir is the bot directory the tests belong to, if any.
func conversationFiles(dir string) (files []string, botDir string) {
	if _, err := os.Stat(filepath.Join(dir, "bot.yaml")); err == nil {
		botDir = dir
		dir = filepath.Join(dir, "tests")
	} else if _, err := os.Stat(filepath.Join(dir, "..", "bot.yaml")); err == nil {
		botDir = filepath.Join(dir, "..")
	}
	files, _ = filepath.Glob(filepath.Join(dir, "*.yaml"))
	sort.Strings(files)
	return files, botDir
}
