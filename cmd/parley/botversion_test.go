package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/cli/token"
)

// TestPublishAndRollBackABotVersionUnderTraffic: while users talk to the
// sample bot, a new version of it is imported and published, then rolled
// back; every turn is answered, and the answers follow the published
// version.
func TestPublishAndRollBackABotVersionUnderTraffic(t *testing.T) {
	cfg, webhook, admin := builtIn(t)
	cli := adminCLI(t, admin)
	bot := cfg.Registry.Bots[0]

	// Version 2: the same bot with another closing line.
	v2 := filepath.Join(t.TempDir(), "banking")
	if err := os.CopyFS(v2, os.DirFS(bot.Path)); err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(v2, "tasks", "show_balance.yaml")
	src, err := os.ReadFile(task)
	if err != nil {
		t.Fatal(err)
	}
	const oldLine, newLine = "Let me know if you need any other assistance", "Anything else I can do for you?"
	if !strings.Contains(string(src), oldLine) {
		t.Fatalf("%s no longer says %q", task, oldLine)
	}
	if err := os.WriteFile(task, []byte(strings.ReplaceAll(string(src), oldLine, newLine)), 0o600); err != nil {
		t.Fatal(err)
	}

	url := "http://" + webhook.String() + "/chatbot/hooks/" + bot.ID
	var turns, failures atomic.Int64
	var lastMu sync.Mutex
	last := ""
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for u := range 4 {
		wg.Go(func() {
			user := fmt.Sprintf("traffic-%d", u)
			tok, err := token.Mint(cfg.Registry, token.Options{User: user, Alg: "HS256", TTL: time.Hour}, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, say := range []string{"show my balance", "current"} {
					got, err := ask(url, tok, user, say)
					turns.Add(1)
					if err != nil || !strings.Contains(got, `"text":[`) {
						failures.Add(1)
						t.Errorf("%s said %q: %q %v", user, say, got, err)
					}
					if say == "current" {
						lastMu.Lock()
						last = got
						lastMu.Unlock()
					}
				}
			}
		})
	}
	answers := func(line string) func() bool {
		return func() bool {
			lastMu.Lock()
			defer lastMu.Unlock()
			return strings.Contains(last, line)
		}
	}
	waitFor(t, "traffic on version 1", answers(oldLine))
	cli("bots", "import", "--dir", v2, "--bot", bot.ID, "--publish")
	waitFor(t, "answers from the published version 2", answers(newLine))
	cli("bots", "rollback", "--bot", bot.ID)
	waitFor(t, "answers from the rolled-back version 1", answers(oldLine))
	close(stop)
	wg.Wait()
	if failures.Load() > 0 || turns.Load() < 10 {
		t.Fatalf("%d of %d turns failed", failures.Load(), turns.Load())
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
