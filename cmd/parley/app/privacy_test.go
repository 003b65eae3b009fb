package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/logx"
	"github.com/parleyhq/parley/platform/polltest"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMessageTextInLogsFollowsTheBotsPrivacySetting: even at debug level a
// user's text is not logged unless the bot allows it, and then with its PII
// masked.
func TestMessageTextInLogsFollowsTheBotsPrivacySetting(t *testing.T) {
	const secretText = "my card is 4111 1111 1111 1111 and mail bob@example.com"
	for _, tc := range []struct {
		setting      string
		want, forbid []string
	}{
		// Forbid the whole number: "4111" alone turns up in ids and times.
		{"", []string{"[55 characters]"}, []string{"4111 1111 1111 1111", "bob@example.com", "my card"}},
		{"redacted", []string{"my card is [card] and mail [email]"}, []string{"4111 1111 1111 1111", "bob@example.com"}},
		{"full", []string{secretText}, nil},
	} {
		t.Run("log_text="+tc.setting, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "banking")
			if err := os.CopyFS(dir, os.DirFS("../../../examples/bots/banking")); err != nil {
				t.Fatal(err)
			}
			if tc.setting != "" {
				f, err := os.OpenFile(filepath.Join(dir, "bot.yaml"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = f.WriteString("\nprivacy:\n  log_text: " + tc.setting + "\n")
				f.Close()
			}
			_, busCfg := newServer(t)
			cfg := testConfig(t, busCfg)
			cfg.Registry.Bots[0].Path = dir
			logs := &syncBuffer{}
			p := startProcessWith(t, cfg, func(a *App) {
				a.Log = logx.New(logx.Config{Level: "debug", Format: "json"}, logs)
			}, All)
			texts(t, say(t, p.base()+"/chatbot/hooks/"+botID, "pat", secretText))
			polltest.Until(t, "the turn's log line", 5*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"turn applied"`) })
			out := logs.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("logs lack %q", w)
				}
			}
			for _, f := range tc.forbid {
				if strings.Contains(out, f) {
					t.Errorf("logs contain %q", f)
				}
			}
		})
	}
}
