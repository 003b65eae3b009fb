package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/cmd/parley/app"
	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/dialog/botdef"
)

// TestGeneratedConfigIsValid: the config every phase writes must load and
// validate with the current services, so that a config change breaks this
// test rather than a chaos run.
func TestGeneratedConfigIsValid(t *testing.T) {
	bot, err := filepath.Abs("bot")
	if err != nil {
		t.Fatal(err)
	}
	for name, redis := range map[string]string{
		"standalone": "  url: \"redis://127.0.0.1:6390/0\"\n",
	} {
		path := filepath.Join(t.TempDir(), "parley.yaml")
		doc := parleyConfig(bot, "nats://127.0.0.1:1,nats://127.0.0.1:2,nats://127.0.0.1:3", redis, "http://127.0.0.1:9/replies", newSecrets())
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := app.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := app.New(cfg, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := cfg.Registry.Instances[0]
		if in.Mode != registry.ModeAsync || in.BotID != botID || in.InstanceID != instanceID || len(in.RetrySchedule) == 0 {
			t.Errorf("%s: instance %+v", name, in)
		}
	}
}

// TestEchoBotLoads: the receiver tells turns apart by the bot's echo.
func TestEchoBotLoads(t *testing.T) {
	b, err := botdef.Load("bot")
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != botID || b.DefaultTask != "echo" {
		t.Fatalf("bot %s, default task %q", b.ID, b.DefaultTask)
	}
}

func TestShortProfile(t *testing.T) {
	o, err := parseFlags([]string{"-short", "-parley", "/bin/sh", "-nats-server", "/bin/sh", "-redis-server", "/bin/sh", "-bot", "bot", "-turns", "120"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if o.Turns != 120 || o.Users != 60 || o.Rate != 30 || o.ReceiverDown != 10*time.Second || len(o.Faults) != len(shortFaults) {
		t.Fatalf("short profile with -turns 120: %+v", o)
	}
}
