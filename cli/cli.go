// Package cli holds what the parley binary's client tools share: the part
// of Parley's configuration they read. The tools themselves live in the
// sub-packages (admin, token, chat, conversations, devserver); the binary
// dispatches its subcommands to them and gives them its configuration
// loader, so they read the same files as the server without importing it.
package cli

import "github.com/parleyhq/parley/platform/registry"

// Config is what the client tools need of a Parley configuration: the apps
// and webhook instances, and where the webhook listens.
type Config struct {
	Registry registry.Config
	// WebhookListen is ingress.listen, with its default applied.
	WebhookListen string
}

// LoadConfig reads Parley's configuration file, the built-in one when file
// is empty.
type LoadConfig func(file string) (Config, error)
