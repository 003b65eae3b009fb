package channels_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/parleyhq/parley/platform/registry"
	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

func archiveOf(t *testing.T, dir string) []byte {
	t.Helper()
	files, err := registry.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := files.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func greeting(t *testing.T, def registry.BotDefinition) string {
	t.Helper()
	y := string(def.Files["bot.yaml"])
	i := strings.Index(y, "greeting: ")
	if i < 0 {
		t.Fatalf("bot.yaml without greeting: %s", y)
	}
	return strings.Trim(strings.TrimSpace(y[i+len("greeting: "):]), `"`)
}

// TestBotPublishAndRollback: a replica's view follows publish and rollback,
// with the directory contents and a materialized directory, and announces
// each switch.
func TestBotPublishAndRollback(t *testing.T) {
	e := startEnv(t, bootstrapWithBot(t))
	replica := e.replicaView()
	var mu sync.Mutex
	var published []int
	replica.Subscribe(func(c registry.Change) {
		if c.Kind == registry.ChangeBotPublished && c.ID == testBot {
			def, _ := replica.BotDefinition(testBot)
			mu.Lock()
			published = append(published, def.Version)
			mu.Unlock()
		}
	})

	def, ok := replica.BotDefinition(testBot)
	if !ok || def.Version != 1 || greeting(t, def) != "hello v1" {
		t.Fatalf("bootstrapped bot: %+v %v", def.Version, ok)
	}
	bot, _ := replica.Bot(testBot)
	if b, err := os.ReadFile(filepath.Join(bot.Path, "tasks", "hello.yaml")); err != nil || string(b) != "name: hello\n" {
		t.Fatalf("materialized directory %s: %v", bot.Path, err)
	}

	imp, err := e.client.ImportBot(e.dev, &channelsv1.ImportBotRequest{Archive: archiveOf(t, botDir(t, testBot, "hello v2")), Publish: true, Note: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	if imp.GetVersion() != 2 || !imp.GetNewVersion() || imp.GetBot().GetPublishedVersion() != 2 {
		t.Fatalf("import: %+v", imp)
	}
	within(t, time.Second, "v2 published on the replica", func() bool {
		d, _ := replica.BotDefinition(testBot)
		return d.Version == 2 && greeting(t, d) == "hello v2"
	})
	bot2, _ := replica.Bot(testBot)
	if bot2.Path == bot.Path {
		t.Fatal("a new version must get a new directory: a loader may still read the old one")
	}

	rb, err := e.client.RollbackBot(e.dev, &channelsv1.RollbackBotRequest{BotId: testBot})
	if err != nil {
		t.Fatal(err)
	}
	if rb.GetPublishedVersion() != 1 || len(rb.GetPublishHistory()) != 0 {
		t.Fatalf("rollback: published %d, history %v", rb.GetPublishedVersion(), rb.GetPublishHistory())
	}
	within(t, time.Second, "rolled back on the replica", func() bool {
		d, _ := replica.BotDefinition(testBot)
		return d.Version == 1 && greeting(t, d) == "hello v1"
	})
	_, err = e.client.RollbackBot(e.dev, &channelsv1.RollbackBotRequest{BotId: testBot})
	wantCode(t, err, codes.FailedPrecondition, "no earlier published version")

	// Publishing is reversible by version as well.
	if _, err := e.client.PublishBotVersion(e.dev, &channelsv1.PublishBotVersionRequest{BotId: testBot, Version: 2}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.PublishBotVersion(e.dev, &channelsv1.PublishBotVersionRequest{BotId: testBot, Version: 9})
	wantCode(t, err, codes.NotFound, "version 9")
	within(t, time.Second, "re-published v2", func() bool { d, _ := replica.BotDefinition(testBot); return d.Version == 2 })
	mu.Lock()
	got := append([]int(nil), published...)
	mu.Unlock()
	if len(got) != 3 || got[0] != 2 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("published notifications %v, want [2 1 2]", got)
	}

	// Export returns the directory; importing it again reuses the version.
	exp, err := e.client.ExportBot(e.dev, &channelsv1.ExportBotRequest{BotId: testBot, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	files, err := registry.Unpack(exp.GetArchive())
	if err != nil || !strings.Contains(string(files["bot.yaml"]), "hello v1") || exp.GetVersion() != 1 {
		t.Fatalf("export: %v", err)
	}
	again, err := e.client.ImportBot(e.dev, &channelsv1.ImportBotRequest{BotId: testBot, Archive: exp.GetArchive()})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetNewVersion() || again.GetVersion() != 1 || again.GetBot().GetPublishedVersion() != 2 {
		t.Fatalf("re-import: %+v", again)
	}

	// An archive for another bot id is refused, naming the field.
	_, err = e.client.ImportBot(e.dev, &channelsv1.ImportBotRequest{BotId: testBot,
		Archive: archiveOf(t, botDir(t, "st-99999999-9999-5999-8999-999999999999", "x"))})
	wantCode(t, err, codes.InvalidArgument, "archive: bot.yaml declares id")
}
