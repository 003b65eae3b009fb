package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/cli/token"
	"github.com/parleyhq/parley/cmd/parley/app"
)

func TestListTargets(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"-list-targets"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if got := strings.Fields(out.String()); strings.Join(got, ",") != "all,channels,dialog,dispatcher,ingress" {
		t.Fatalf("targets %v", got)
	}
}

func TestBuiltInConfigIsValid(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"-config.verify"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ doc, want string }{
		{"ingress:\n  listne: x\n", "listne"},
		{"ingress:\n  sync_timeout: -1s\n", "ingress.sync_timeout"},
		{"nats:\n  partitions: 5000\n", "nats.partitions"},
		{"log:\n  level: loud\n", "log.level"},
		{"registry:\n  instances:\n    - bot_id: st-x\n      app: cs-y\n      mode: sync\n", "registry.instances[0].bot_id"},
		{"redis:\n  url: ${PARLEY_TEST_UNSET_VARIABLE}\n", "PARLEY_TEST_UNSET_VARIABLE"},
	}
	for i, tc := range tests {
		path := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := dispatch([]string{"-config.file", path, "-config.verify"}, nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("config %q: exit %d, stderr %q; want a failure naming %s", tc.doc, code, errOut.String(), tc.want)
		}
	}
}

// TestCheckConfigChecksTheFileAsWritten: check-config validates a file
// with the server's loader, names a bad key, and ignores the PARLEY_*
// overrides that -config.verify applies.
func TestCheckConfigChecksTheFileAsWritten(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"check-config"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "configuration is valid") {
		t.Fatalf("built-in config: exit %d: %s%s", code, out.String(), errOut.String())
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("nats:\n  partitions: 5000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := dispatch([]string{"check-config", "-config.file", path}, nil, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "nats.partitions") {
		t.Fatalf("bad config: exit %d, stderr %q; want a failure naming nats.partitions", code, errOut.String())
	}
	t.Setenv("PARLEY_REDIS_URL", "redis://from-the-environment:6379")
	out.Reset()
	if code := dispatch([]string{"check-config", "-print"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("-print: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "from-the-environment") || !strings.Contains(out.String(), "\nops:\n") {
		t.Fatalf("-print printed the overrides or lacks the ops section:\n%s", out.String())
	}
}

func TestEnvironmentOverridesFlagsNotSet(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	url := fs.String("nats.url", "", "")
	listen := fs.String("ingress.listen", "", "")
	if err := fs.Parse([]string{"-ingress.listen", "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARLEY_NATS_URL": "nats://n:4222", "PARLEY_INGRESS_LISTEN": "0.0.0.0:9"}
	if err := envOverrides(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if *url != "nats://n:4222" {
		t.Errorf("nats.url = %q, want the environment's", *url)
	}
	if *listen != "127.0.0.1:1" {
		t.Errorf("ingress.listen = %q: the command line must win over the environment", *listen)
	}
}

func TestTokenIsSignedWithTheAppSecret(t *testing.T) {
	cfg, err := app.Load("")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := token.Mint(cfg.Registry, token.Options{User: "alice", Alg: "HS512", TTL: time.Hour, JTI: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	secret := cfg.Registry.Apps[0].ClientSecret
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil }, jwt.WithValidMethods([]string{"HS512"})); err != nil {
		t.Fatalf("token does not verify with the app secret: %v", err)
	}
	if claims["appId"] != cfg.Registry.Instances[0].App || claims["sub"] != "alice" || claims["jti"] == "" {
		t.Fatalf("claims %v", claims)
	}
	if _, err := token.Mint(cfg.Registry, token.Options{User: "a", Alg: "HS256", TTL: 2 * time.Hour, JTI: true}, now); err == nil {
		t.Fatal("a jti token living 2h was minted")
	}
	if _, err := token.Mint(cfg.Registry, token.Options{AppID: "cs-nope", User: "a", Alg: "HS256"}, now); err == nil {
		t.Fatal("a token for an unknown app was minted")
	}
	if _, err := token.Mint(cfg.Registry, token.Options{User: "a", Alg: "none"}, now); err == nil {
		t.Fatal("alg none was accepted")
	}
}
