package app

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/services/dialog/convtest"
	"github.com/parleyhq/parley/services/dialog/fakebank"
)

// TestBankingConversations is the dialog engine's acceptance suite: the
// banking bot's conversation files played through the real webhook.
func TestBankingConversations(t *testing.T) {
	bank := httptest.NewServer(fakebank.Handler())
	t.Cleanup(bank.Close)
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	cfg.Dialog.AllowPrivateServiceTargets = true
	cfg.Dialog.BotEnv = map[string]map[string]string{botID: {"bank_url": bank.URL}}
	p := startProcess(t, cfg, All)

	files, err := filepath.Glob("../../../examples/bots/banking/tests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conversation files: %v", err)
	}
	var out bytes.Buffer
	passed, failed, err := convtest.Run(t.Context(), p.base(), func(u string) string { return userToken(t, u) }, botID, "", files, &out)
	if err != nil || failed != 0 || passed != len(files) {
		t.Fatalf("conversations: %d passed, %d failed, err %v\n%s", passed, failed, err, out.String())
	}
}
