// Command parley runs Parley: every service in one process by default, or
// any subset with -target. Subcommands mint tokens and talk to a bot.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return cmdToken(args[1:], stdout, stderr)
		case "chat":
			return cmdChat(args[1:], stdin, stdout, stderr)
		case "test":
			return cmdTest(args[1:], stdout, stderr)
		case "fakebank":
			return cmdFakebank(args[1:], stdout, stderr)
		case "nlu":
			return cmdNLU(args[1:], stdout, stderr)
		case "admin":
			return cmdAdmin(args[1:], stdout, stderr)
		case "receiver":
			return cmdReceiver(args[1:], stdout, stderr)
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

Run 'parley -h' for the service flags, 'parley token -h' and 'parley chat -h' for theirs.
`)
}
