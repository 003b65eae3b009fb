package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/parleyhq/parley/services/dialog/schema"
)

func compile(t *testing.T, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// load reads a YAML file as JSON-shaped values.
func load(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const banking = "../../../examples/bots/banking"

func TestBankingBotMatchesSchema(t *testing.T) {
	bot := compile(t, "bot.schema.json", schema.Bot)
	task := compile(t, "task.schema.json", schema.Task)
	if err := bot.Validate(load(t, filepath.Join(banking, "bot.yaml"))); err != nil {
		t.Errorf("bot.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(banking, "tasks", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no tasks")
	}
	for _, f := range files {
		if err := task.Validate(load(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSchemaRejects(t *testing.T) {
	task := compile(t, "task.schema.json", schema.Task)
	for name, doc := range map[string]string{
		"unknown node type":        `{"id":"dg","name":"x","nodes":[{"id":"a","type":"mesage"}]}`,
		"message without messages": `{"id":"dg","name":"x","nodes":[{"id":"a","type":"message"}]}`,
		"retries over 10":          `{"id":"dg","name":"x","nodes":[{"id":"a","type":"entity","entity":"e","retries":11}]}`,
		"next and transitions":     `{"id":"dg","name":"x","nodes":[{"id":"a","type":"message","messages":["m"],"next":"b","transitions":[{"else":"b"}]}]}`,
		"bad operator":             `{"id":"dg","name":"x","nodes":[{"id":"a","type":"message","messages":["m"],"transitions":[{"if":[{"context":"x","op":"=="}],"to":"b"},{"else":"end"}]}]}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if task.Validate(v) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
