package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/goccy/go-yaml"

	"github.com/parleyhq/parley/cli"
	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/logx"
)

// loadClientConfig gives the client tools the part of the configuration
// they need, read with the server's own loader.
func loadClientConfig(file string) (cli.Config, error) {
	cfg, err := app.Load(file)
	if err != nil {
		return cli.Config{}, err
	}
	cfg.Defaults()
	return cli.Config{Registry: cfg.Registry, WebhookListen: cfg.Ingress.Listen}, nil
}

// cmdCheckConfig is `parley check-config`: it checks a configuration file
// as written (environment expansion, strict keys, defaults, validation),
// without the serve flags and PARLEY_* overrides of -config.verify, so that
// a deployment's file can be checked where it is kept. -print writes the
// effective configuration, whose top-level keys are every section the
// binary knows.
func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parley check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config.file", "", "YAML config file (default: the built-in one)")
	printCfg := fs.Bool("print", false, "print the effective configuration as YAML (secrets included)")
	production := fs.Bool("production", false, "check as production: refuse the built-in development secrets")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley check-config: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := app.Load(*file)
	if err != nil {
		fmt.Fprintf(stderr, "parley check-config: %v\n", err)
		return 1
	}
	cfg.Production = cfg.Production || *production
	a, err := app.New(cfg, logx.Discard())
	if err != nil {
		fmt.Fprintf(stderr, "parley check-config: invalid configuration:\n%v\n", err)
		return 1
	}
	if !*printCfg {
		fmt.Fprintln(stdout, "configuration is valid")
		return 0
	}
	out, err := yaml.Marshal(a.Cfg)
	if err != nil {
		fmt.Fprintf(stderr, "parley check-config: print: %v\n", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}
