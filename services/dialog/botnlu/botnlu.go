// Package botnlu is the dialog service's one seam into the NLU library
// (module nlu/). It maps a bot definition onto the library's training data
// and entity specs, and adapts the trained model and the entity extractors
// to the dialog engine's ports (engine.RecognizerFactory,
// engine.EntityExtractor). The dialog service and the `parley nlu` tools
// both go through it, so that a batch test measures exactly the model the
// bot runs.
package botnlu

import (
	"fmt"

	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/nlu/entity"
	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// TrainingData maps a bot's intents, synonyms, concepts, thresholds and
// entities.
func TrainingData(b *botdef.Bot) nlu.TrainingData {
	td := nlu.TrainingData{
		Language: b.Language,
		Synonyms: b.NLU.Synonyms,
		Concepts: b.NLU.Concepts,
		Thresholds: nlu.Thresholds{
			Definite: b.NLU.Definite, Minimum: b.NLU.Minimum, Proximity: b.NLU.Proximity,
		},
		Entities: map[string]entity.Spec{},
	}
	for name, e := range b.Entities {
		td.Entities[name] = EntitySpec(e)
	}
	for _, in := range b.Intents {
		td.Intents = append(td.Intents, nlu.IntentData{Name: in.Name, Utterances: in.Utterances, Patterns: in.Patterns})
	}
	return td
}

// EntitySpec converts a bot entity to the NLU's spec.
func EntitySpec(e *botdef.EntityDef) entity.Spec {
	s := entity.Spec{Type: entity.Type(e.Type), Regex: e.Regex, UnitType: e.UnitType, DefaultUnit: e.DefaultUnit}
	for _, v := range e.Values {
		s.Values = append(s.Values, entity.ListValue{Title: v.Title, Value: v.Value, Synonyms: v.Synonyms})
	}
	if len(e.Components) > 0 {
		s.Components = map[string]entity.Spec{}
		for k, c := range e.Components {
			s.Components[k] = EntitySpec(c)
		}
	}
	return s
}

// Load reads and checks the bot in dir (engine.Load) and returns its
// training data.
func Load(dir string) (nlu.TrainingData, error) {
	b, err := engine.Load(dir)
	if err != nil {
		return nlu.TrainingData{}, fmt.Errorf("load bot %s: %w", dir, err)
	}
	return TrainingData(b), nil
}
