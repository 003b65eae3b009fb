package nlu

import "testing"

// A bot in another language trains and classifies with that language's
// tokenizer, stemmer and stop words. Character n-grams alone would often
// find the right intent, so each utterance is also classified by the same
// bot trained as English: the bot's own language must be more confident
// on inflections and unaccented spellings it never saw, and a pattern must
// match through a French elision, which English leaves as one word.
func TestBotsInOtherLanguages(t *testing.T) {
	type query struct {
		text, intent string
		byPattern    bool // must match a pattern, which English must not
	}
	tests := []struct {
		name    string
		td      TrainingData
		queries []query
	}{
		{"spanish", TrainingData{Language: "es-MX", Intents: []IntentData{
			{Name: "saldo", Utterances: []string{
				"¿cuál es mi saldo?", "quiero ver el saldo de mi cuenta", "¿cuánto dinero tengo?",
				"consultar saldo", "muéstrame el saldo disponible", "dime cuánto hay en la cuenta",
			}},
			{Name: "transferencia", Utterances: []string{
				"quiero transferir dinero", "enviar 50 euros a Juan", "hacer una transferencia",
				"transferir a mi cuenta de ahorros", "mandar dinero a mi hermana", "necesito pagar a un amigo",
			}},
			{Name: "agente", Utterances: []string{
				"hablar con un agente", "quiero hablar con una persona", "pásame con un humano",
				"necesito ayuda de un asesor", "comunícame con soporte", "atención al cliente por favor",
			}, Patterns: []string{"hablar * [agente asesor persona]"}},
		}}, []query{
			{"¿Cuales son los saldos de mis cuentas?", "saldo", false},
			{"transferimos dinero a mi hermano", "transferencia", false},
			{"¿hablamos con los asesores?", "agente", true}, // stems meet the pattern's
		}},
		{"french", TrainingData{Language: "fr", Intents: []IntentData{
			{Name: "solde", Utterances: []string{
				"quel est mon solde", "je veux voir le solde de mon compte", "combien d'argent ai-je",
				"consulter mon solde", "afficher le solde disponible", "combien reste-t-il sur le compte",
			}},
			{Name: "virement", Utterances: []string{
				"je veux faire un virement", "envoyer 50 euros à Jean", "virer de l'argent",
				"transférer sur mon compte épargne", "envoyer de l'argent à ma sœur", "payer un ami",
			}, Patterns: []string{"[faire effectuer] * virement", "[virer envoyer] * argent"}},
			{Name: "agent", Utterances: []string{
				"parler à un conseiller", "je veux parler à une personne", "passez-moi un humain",
				"j'ai besoin d'aide d'un conseiller", "contacter le support", "service client s'il vous plaît",
			}},
		}}, []query{
			{"Quels sont les soldes de mes comptes ?", "solde", false},
			{"je voudrais parler avec les conseillers", "agent", false},
			{"pouvez-vous virer l'argent", "virement", true}, // "l'argent" is "le argent"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Train(tt.td)
			if err != nil {
				t.Fatalf("train: %v", err)
			}
			asEnglish := tt.td
			asEnglish.Language = "en"
			en, err := Train(asEnglish)
			if err != nil {
				t.Fatalf("train as English: %v", err)
			}
			for _, q := range tt.queries {
				r, e := m.Classify(q.text), en.Classify(q.text)
				if r.Intent != q.intent {
					t.Errorf("Classify(%q) = %s %q, want %q (ranked %+v)", q.text, r.Status, r.Intent, q.intent, r.Ranked)
					continue
				}
				top, topEn := r.Ranked[0], e.Ranked[0]
				if q.byPattern {
					if top.Engine != EnginePattern || topEn.Engine == EnginePattern {
						t.Errorf("%q: engine %s, as English %s; want a pattern match in %s only", q.text, top.Engine, topEn.Engine, tt.td.Language)
					}
					continue
				}
				if topEn.Intent == q.intent && topEn.Score >= top.Score {
					t.Errorf("%q: %s confidence %.3f not above English's %.3f", q.text, tt.td.Language, top.Score, topEn.Score)
				}
			}
		})
	}
}
