package botnlu

import (
	"fmt"
	"sync"
	"time"

	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/nlu/entity"
	"github.com/parleyhq/parley/services/dialog/botdef"
	"github.com/parleyhq/parley/services/dialog/internal/engine"
)

// The adapters of the NLU library (intent classifier with ranking and
// resolver, entity extractors) to the dialog engine's ports.

// Recognizer trains the bot's NLU model; it is an engine.RecognizerFactory.
func Recognizer(b *botdef.Bot) (engine.IntentRecognizer, error) {
	m, err := nlu.Train(TrainingData(b))
	if err != nil {
		return nil, fmt.Errorf("train nlu: %w", err)
	}
	return model{m}, nil
}

type model struct{ m *nlu.Model }

func (m model) Recognize(text string) engine.Recognition {
	r := m.m.Classify(text)
	out := engine.Recognition{Intent: r.Intent, Candidates: r.Candidates}
	switch r.Status {
	case nlu.StatusDefinite:
		out.Status = engine.StatusDefinite
	case nlu.StatusProbable:
		out.Status = engine.StatusProbable
	case nlu.StatusAmbiguous:
		out.Status = engine.StatusAmbiguous
	default:
		out.Status = engine.StatusNone
	}
	return out
}

// Extractor is an engine.EntityExtractor over nlu/entity.
type Extractor struct {
	// Region is the default region for phones, zips and numeric dates.
	Region string
	specs  sync.Map // *botdef.EntityDef → entity.Spec
}

// Extract implements engine.EntityExtractor.
func (x *Extractor) Extract(def *botdef.EntityDef, text string, now time.Time) (engine.EntityMatch, bool) {
	var spec entity.Spec
	if v, ok := x.specs.Load(def); ok {
		spec = v.(entity.Spec)
	} else {
		spec = EntitySpec(def)
		x.specs.Store(def, spec)
	}
	m, ok := entity.Extract(spec, text, entity.Reference{Now: now, Region: x.Region, Language: def.Language})
	if !ok {
		return engine.EntityMatch{}, false
	}
	return engine.EntityMatch{Value: m.Value, Start: m.Start, End: m.End}, true
}

var _ engine.EntityExtractor = (*Extractor)(nil)
