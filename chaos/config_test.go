package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/parleyhq/parley/platform/registry"
	"github.com/parleyhq/parley/services/dialog/botdef"
)

// TestGeneratedConfigIsValid: the config every phase writes must load and
// validate with the current services, so that a config change breaks this
// test rather than a chaos run.
func TestGeneratedConfigIsValid(t *testing.T) {
	parley := buildParley(t)
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
		// The binary's own loader and validation, as a phase would start it.
		out, err := exec.Command(parley, "check-config", "-print", "-config.file", path).Output()
		if err != nil {
			var stderr []byte
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				stderr = ee.Stderr
			}
			t.Fatalf("%s: check-config: %v: %s", name, err, stderr)
		}
		var cfg struct {
			Registry registry.Config `yaml:"registry"`
		}
		if err := yaml.Unmarshal(out, &cfg); err != nil {
			t.Fatalf("%s: the printed configuration: %v", name, err)
		}
		if len(cfg.Registry.Instances) == 0 {
			t.Fatalf("%s: no instance in the printed configuration", name)
		}
		in := cfg.Registry.Instances[0]
		if in.Mode != registry.ModeAsync || in.BotID != botID || in.InstanceID != instanceID || len(in.RetrySchedule) == 0 {
			t.Errorf("%s: instance %+v", name, in)
		}
	}
}

// TestEchoBotLoads: the receiver tells turns apart by the bot's echo.
func TestEchoBotLoads(t *testing.T) {
	b, _, err := botdef.Read("bot")
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

// buildParley builds the binary the suite drives into a temporary directory.
func buildParley(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/parley").CombinedOutput(); err != nil {
		t.Fatalf("build parley: %v\n%s", err, out)
	}
	return bin
}
