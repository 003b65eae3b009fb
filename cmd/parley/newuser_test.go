package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/polltest"
	"github.com/parleyhq/parley/platform/run"
	"github.com/parleyhq/parley/services/channels"
	"github.com/parleyhq/parley/services/ingress"
)

// TestNewUserAddsAChannelWithTheCLI is the new user's path with the
// built-in configuration: with the CLI alone, create an app and a second
// webhook instance of the sample bot, approve and enable it, and talk to the
// bot through it.
func TestNewUserAddsAChannelWithTheCLI(t *testing.T) {
	cfg, webhook, admin := builtIn(t)
	cliRun := adminCLI(t, admin)
	var created struct {
		App struct {
			ClientID string `json:"clientId"`
		} `json:"app"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := json.Unmarshal([]byte(cliRun("apps", "create", "--name", "IVR", "--json")), &created); err != nil || created.ClientSecret == "" {
		t.Fatalf("apps create: %v %+v", err, created)
	}
	bot := cfg.Registry.Bots[0].ID
	cliRun("instances", "create", "--bot", bot, "--id", "ivr", "--app", created.App.ClientID, "--name", "IVR", "--mode", "sync")

	tok, err := token.Mint(cfg.Registry, token.Options{AppID: created.App.ClientID, Secret: created.ClientSecret, User: "bob", Alg: "HS256", TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + webhook.String() + "/chatbot/hooks/" + bot + "/hookInstance/ivr"
	if got, _ := ask(url, tok, "bob", "show my balance"); !strings.Contains(got, "Channel not enabled") {
		t.Fatalf("an unapproved channel answered: %s", got)
	}
	cliRun("instances", "approve", "--bot", bot, "--id", "ivr")
	cliRun("instances", "enable", "--bot", bot, "--id", "ivr")
	var got string
	serving := polltest.Within(time.Second, func() bool {
		got, err = ask(url, tok, "bob", "show my balance")
		return err == nil && strings.Contains(got, "Which account")
	})
	if !serving {
		t.Fatalf("the approved channel did not serve within a second: %s %v", got, err)
	}
	if got, _ := ask(url, tok, "bob", "salary"); !strings.Contains(got, "You have $45,000 in your Salary account.") {
		t.Fatalf("reply %s", got)
	}
}

// builtIn runs every service with the built-in configuration (KV registry)
// on a test NATS and returns the webhook and admin addresses.
func builtIn(t *testing.T) (cfg app.Config, webhook, admin net.Addr) {
	srv := bustest.RunJetStream(t)
	cfg, err := app.Load("")
	if err != nil {
		t.Fatal(err)
	}
	busCfg := srv.Config(t)
	cfg.NATS.URL, cfg.NATS.Prefix = busCfg.URL, busCfg.Prefix
	cfg.DataDir = t.TempDir()
	cfg.Ingress.Listen, cfg.Channels.Listen, cfg.Ops.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	// Tests drive users faster than the built-in per-user rate limit.
	cfg.Ingress.RateLimit.PerUser, cfg.Ingress.RateLimit.PerUserBurst = 10000, 10000
	for i := range cfg.Registry.Bots {
		cfg.Registry.Bots[i].Path = "../../" + cfg.Registry.Bots[i].Path
	}
	a, err := app.New(cfg, logx.Discard())
	if err != nil {
		t.Fatal(err)
	}
	addrs := make(chan [2]net.Addr, 2)
	a.Started = func(name string, svc run.Service) {
		switch s := svc.(type) {
		case *ingress.Service:
			go func() { <-s.Ready(); addrs <- [2]net.Addr{s.Addr(), nil} }()
		case *channels.Service:
			go func() { <-s.Ready(); addrs <- [2]net.Addr{nil, s.Addr()} }()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, []string{app.All}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("parley stopped: %v", err)
		}
	})
	for webhook == nil || admin == nil {
		select {
		case x := <-addrs:
			if x[0] != nil {
				webhook = x[0]
			} else {
				admin = x[1]
			}
		case err := <-done:
			t.Fatalf("parley stopped: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("parley did not start")
		}
	}

	return cfg, webhook, admin
}

// adminCLI runs parley admin against addr with the built-in token.
func adminCLI(t *testing.T, admin net.Addr) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{"admin"}, args...)
		full = append(full, "--addr", admin.String(), "--token", "local-admin-token-change-me")
		if code := dispatch(full, nil, &out, &errOut); code != 0 {
			t.Fatalf("parley %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}
}
