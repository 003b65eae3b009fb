package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

const goodBot = `format: parley.bot/v1
id: st-00000000-0000-5000-8000-000000000001
name: T
entities:
  color: {type: list, values: [{value: red}], prompt: "Color?"}
intents:
  - {name: paint, task: paint, utterances: [paint]}
`

const goodTask = `id: dg-1
name: paint
nodes:
  - {id: i, type: intent, intent: paint, next: color}
  - id: color
    type: entity
    entity: color
    transitions:
      - if: [{entity: color, op: "=", value: red}]
        to: done
      - else: end
  - {id: done, type: message, messages: ["Painted {{entities.color}}"]}
`

func writeBot(t *testing.T, bot, task string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte(bot), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tasks", "paint.yaml"), []byte(task), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadRefusesBadBots(t *testing.T) {
	r := strings.NewReplacer
	for _, tc := range []struct {
		name      string
		bot, task string
		want      string // file: path: reason fragment
	}{
		{"unknown node in a transition", goodBot, r("to: done", "to: nowhere").Replace(goodTask),
			`tasks/paint.yaml: nodes[1].transitions[0].to: unknown node "nowhere"`},
		{"entity type that does not exist", r("type: list", "type: colour").Replace(goodBot), goodTask,
			`bot.yaml: entities.color.type: entity type "colour" does not exist`},
		{"unreachable node", goodBot, goodTask + "  - {id: orphan, type: message, messages: [x]}\n",
			`tasks/paint.yaml: nodes[3]: node "orphan" is unreachable`},
		{"template that does not parse", goodBot, r("{{entities.color}}", "{{entities.color").Replace(goodTask),
			`tasks/paint.yaml: nodes[2].messages[0]: template does not parse`},
		{"template with an unknown root", goodBot, r("{{entities.color}}", "{{user.color}}").Replace(goodTask),
			`must start with context, entities, env or task`},
		{"missing else", goodBot, r("      - else: end\n", "").Replace(goodTask),
			`nodes[1].transitions: a fallback (else) branch is required`},
		{"unknown operator", goodBot, r(`op: "="`, `op: "=="`).Replace(goodTask), `unknown operator "=="`},
		{"unknown node type", goodBot, r("type: message", "type: mesage").Replace(goodTask), `unknown node type "mesage"`},
		{"intent without task", goodBot, r("intent: paint, next", "intent: paint2, next").Replace(goodTask), `no intent named "paint2"`},
		{"retries out of range", goodBot, r("entity: color\n", "entity: color\n    retries: 11\n").Replace(goodTask), `retries: must be between 1 and 10`},
		{"service timeout out of range", goodBot, goodTask + "  - {id: s, type: service, method: GET, url: 'http://x', timeout: 30s}\n", `timeout: must be between 1s and 20s`},
		{"bad bot id", r("st-00000000", "xx-00000000").Replace(goodBot), goodTask, `bot.yaml: id:`},
		{"idle timeout outside Kore's range", goodBot + "session: {idle_timeout: 1m}\n", goodTask, `session.idle_timeout`},
		{"regex that does not compile", goodBot + "  bad: {type: regex, regex: '('}\n", goodTask, ``},
		{"reserved node id", goodBot, r("id: done", "id: end").Replace(goodTask), `"end" is reserved`},
		{"condition on a missing entity node", goodBot, r("{entity: color,", "{entity: size,").Replace(goodTask), `no entity or confirmation node "size"`},
		{"unknown field", goodBot + "colour: red\n", goodTask, `unknown field`},
		{"dialog node without a task", goodBot, r("{id: done, type: message, messages: [\"Painted {{entities.color}}\"]}", "{id: done, type: dialog}").Replace(goodTask), `nodes[2].dialog: required`},
		{"dialog node to an unknown task", goodBot, r("{id: done, type: message, messages: [\"Painted {{entities.color}}\"]}", "{id: done, type: dialog, dialog: pay}").Replace(goodTask), `no task named "pay"`},
		{"dialog node to itself", goodBot, r("{id: done, type: message, messages: [\"Painted {{entities.color}}\"]}", "{id: done, type: dialog, dialog: paint}").Replace(goodTask), `cannot link to itself`},
		{"followup_intents value", goodBot + "followup_intents: later\n", goodTask, `followup_intents: must be empty or "offer"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Load(writeBot(t, tc.bot, tc.task))
			if err == nil {
				t.Fatal("the bad bot loaded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestLoadGoodBot(t *testing.T) {
	b, err := engine.Load(writeBot(t, goodBot, goodTask))
	if err != nil {
		t.Fatal(err)
	}
	if b.Session.IdleTimeout.Minutes() != 15 || b.Messages.Default == "" || !b.SmallTalkOn() {
		t.Fatalf("defaults not applied: %+v", b)
	}
}

func TestLoadBanking(t *testing.T) {
	b, err := engine.Load("../../../../examples/bots/banking")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Tasks) != 5 || len(b.Forms) != 1 {
		t.Fatalf("tasks %d forms %d", len(b.Tasks), len(b.Forms))
	}
}
