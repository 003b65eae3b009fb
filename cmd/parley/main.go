// Command parley runs Parley: every service in one process by default, or
// any subset with -target. Its subcommands are the client tools of cli/,
// the NLU tools of nlu/nlucli and check-config.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parleyhq/parley/cli/admin"
	"github.com/parleyhq/parley/cli/chat"
	"github.com/parleyhq/parley/cli/conversations"
	"github.com/parleyhq/parley/cli/devserver"
	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/nlu/nlucli"
	"github.com/parleyhq/parley/services/dialog/botnlu"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return token.Run(args[1:], stdout, stderr, loadClientConfig)
		case "chat":
			return chat.Run(args[1:], stdin, stdout, stderr, loadClientConfig)
		case "test":
			return conversations.Run(args[1:], stdout, stderr, loadClientConfig)
		case "fakebank":
			return devserver.Fakebank(args[1:], stdout, stderr)
		case "nlu":
			// Kore's utterance and batch testing tools over the bot's NLU.
			return nlucli.Run(args[1:], stdout, stderr, botnlu.Load)
		case "admin":
			return admin.Run(args[1:], stdout, stderr)
		case "receiver":
			return devserver.Receiver(args[1:], stdout, stderr)
		case "check-config":
			return cmdCheckConfig(args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			usage(stdout)
			return 0
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmdServe(ctx, args, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `parley: an event-driven virtual-assistant platform with a Kore.ai-compatible webhook.

Usage:
  parley [flags]                      run services (-target=all by default)
  parley token --user ID [flags]      mint a webhook JWT for an app of the config
  parley chat [flags]                 talk to a bot through the webhook
  parley test conversations DIR       play conversation tests through the webhook
  parley fakebank [-listen ADDR]      serve the bank API of the banking sample bot
  parley nlu eval|test|parse ...      measure and inspect intent recognition and entities
  parley admin <command> [flags]      manage apps, bots, webhook channels, dead letters (parley admin help)
  parley receiver [flags]             a POST_URL that prints and verifies asynchronous deliveries
  parley check-config [-config.file F] [-print]
                                      check a configuration file as written, without flags or PARLEY_* overrides

Run 'parley -h' for the service flags, 'parley token -h' and 'parley chat -h' for theirs.
`)
}
