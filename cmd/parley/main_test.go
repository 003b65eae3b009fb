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
	tok, err := mintToken(cfg.Registry, tokenOptions{user: "alice", alg: "HS512", ttl: time.Hour, jti: true}, now)
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
	if _, err := mintToken(cfg.Registry, tokenOptions{user: "a", alg: "HS256", ttl: 2 * time.Hour, jti: true}, now); err == nil {
		t.Fatal("a jti token living 2h was minted")
	}
	if _, err := mintToken(cfg.Registry, tokenOptions{appID: "cs-nope", user: "a", alg: "HS256"}, now); err == nil {
		t.Fatal("a token for an unknown app was minted")
	}
	if _, err := mintToken(cfg.Registry, tokenOptions{user: "a", alg: "none"}, now); err == nil {
		t.Fatal("alg none was accepted")
	}
}
