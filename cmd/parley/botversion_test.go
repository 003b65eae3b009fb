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
	"github.com/parleyhq/parley/platform/registry"
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
	const oldLine, newLine = "Let me know if you need any other assistance", "Anything else I can do for you?"
	v2 := copyBotReplacingLine(t, bot.Path, oldLine, newLine)

	traffic := startBotTraffic(t, cfg.Registry, "http://"+webhook.String()+"/chatbot/hooks/"+bot.ID, 4)
	waitFor(t, "traffic on version 1", traffic.answers(oldLine))
	cli("bots", "import", "--dir", v2, "--bot", bot.ID, "--publish")
	waitFor(t, "answers from the published version 2", traffic.answers(newLine))
	cli("bots", "rollback", "--bot", bot.ID)
	waitFor(t, "answers from the rolled-back version 1", traffic.answers(oldLine))
	traffic.stopAndWait()
	if traffic.failures.Load() > 0 || traffic.turns.Load() < 10 {
		t.Fatalf("%d of %d turns failed", traffic.failures.Load(), traffic.turns.Load())
	}
}

// copyBotReplacingLine copies the bot at botPath with its show_balance task
// closing on newLine instead of oldLine, and returns the copy's directory.
func copyBotReplacingLine(t *testing.T, botPath, oldLine, newLine string) string {
	t.Helper()
	v2 := filepath.Join(t.TempDir(), "banking")
	if err := os.CopyFS(v2, os.DirFS(botPath)); err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(v2, "tasks", "show_balance.yaml")
	src, err := os.ReadFile(task)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), oldLine) {
		t.Fatalf("%s no longer says %q", task, oldLine)
	}
	if err := os.WriteFile(task, []byte(strings.ReplaceAll(string(src), oldLine, newLine)), 0o600); err != nil {
		t.Fatal(err)
	}
	return v2
}

// botTraffic is users talking to a bot until stopped; it counts the turns
// and the failed ones, and keeps the last answer to "current".
type botTraffic struct {
	turns, failures atomic.Int64
	mu              sync.Mutex
	last            string
	stop            chan struct{}
	wg              sync.WaitGroup
}

func startBotTraffic(t *testing.T, reg registry.Config, url string, users int) *botTraffic {
	b := &botTraffic{stop: make(chan struct{})}
	for u := range users {
		b.wg.Go(func() { b.talk(t, reg, url, fmt.Sprintf("traffic-%d", u)) })
	}
	return b
}

// talk has user ask for the balance over and over until stopped.
func (b *botTraffic) talk(t *testing.T, reg registry.Config, url, user string) {
	tok, err := token.Mint(reg, token.Options{User: user, Alg: "HS256", TTL: time.Hour}, time.Now())
	if err != nil {
		t.Error(err)
		return
	}
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		for _, say := range []string{"show my balance", "current"} {
			got, err := ask(url, tok, user, say)
			b.turns.Add(1)
			if err != nil || !strings.Contains(got, `"text":[`) {
				b.failures.Add(1)
				t.Errorf("%s said %q: %q %v", user, say, got, err)
			}
			if say == "current" {
				b.mu.Lock()
				b.last = got
				b.mu.Unlock()
			}
		}
	}
}

// answers reports whether the last answer says line.
func (b *botTraffic) answers(line string) func() bool {
	return func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return strings.Contains(b.last, line)
	}
}

func (b *botTraffic) stopAndWait() {
	close(b.stop)
	b.wg.Wait()
}
