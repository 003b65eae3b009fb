package botnlu

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// A bot's language reaches entity extraction: a Spanish bot reads
// "el viernes" and "veinticinco", an English bot with the same entities
// does not.
func TestBotLanguageReachesEntities(t *testing.T) {
	now := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC) // a Wednesday
	for _, tc := range []struct {
		language string
		want     bool
	}{{"es", true}, {"en", false}} {
		dir := t.TempDir()
		bot := `format: parley.bot/v1
id: st-00000000-0000-5000-8000-0000000000e5
name: Reservas
language: ` + tc.language + `
entities:
  fecha: {type: date, prompt: "¿Qué día?"}
  personas: {type: number, prompt: "¿Cuántos?"}
intents:
  - {name: reservar, task: reservar, utterances: [quiero reservar, hacer una reserva]}
`
		task := `id: dg-reservar
name: reservar
nodes:
  - {id: i, type: intent, intent: reservar, next: f}
  - {id: f, type: entity, entity: fecha, next: p}
  - {id: p, type: entity, entity: personas, next: m}
  - {id: m, type: message, messages: ["Reservado"]}
`
		if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte(bot), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tasks", "reservar.yaml"), []byte(task), 0o644); err != nil {
			t.Fatal(err)
		}
		def, err := engine.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		x := &Extractor{}
		d, okDate := x.Extract(def.Entities["fecha"], "el viernes por la tarde", now)
		n, okNum := x.Extract(def.Entities["personas"], "somos veinticinco", now)
		if tc.want && (!okDate || d.Value != "2025-03-07" || !okNum || n.Value != 25.0) {
			t.Errorf("%s: date %v %v, number %v %v; want 2025-03-07 and 25", tc.language, d.Value, okDate, n.Value, okNum)
		}
		if !tc.want && (okDate || okNum) {
			t.Errorf("%s: read Spanish words: date %v, number %v", tc.language, d.Value, n.Value)
		}
	}
}
