package lang

import "testing"

func TestDeclinesDesire(t *testing.T) {
	tests := []struct {
		lang Language
		text string
		want bool
	}{
		{English{}, "I don't want to book a flight", true},
		{English{}, "i dont need a new card", true},
		{English{}, "I do not really want to transfer money", true},
		{English{}, "I no longer need my savings account", true},
		{English{}, "not interested in a loan", true},
		{English{}, "I would not like to open an account", true},
		{English{}, "I want to book a flight", false},
		{English{}, "No, I want to book a flight", false}, // an answer, then a wish
		{English{}, "why can't I book a flight", false},   // a problem, not a refusal
		{English{}, "my card is not working", false},
		{English{}, "I don't like my current plan", false}, // a complaint
		{English{}, "I don't like the plan", false},
		{English{}, "I wouldn't like to pay now", true},
		{English{}, "never don't want", true},             // clitics share a span
		{English{}, "not now, I want the balance", false}, // punctuation breaks the frame
		{Spanish{}, "No quiero transferir dinero", true},
		{Spanish{}, "ya no necesito la tarjeta", true},
		{Spanish{}, "no me gustaría abrir una cuenta", true},
		{Spanish{}, "No, quiero transferir dinero", false},
		{Spanish{}, "quiero transferir dinero", false},
		{Spanish{}, "mi tarjeta no funciona", false},
		{French{}, "Je ne veux pas faire de virement", true},
		{French{}, "je n'ai pas besoin d'un compte", true},
		{French{}, "pas envie de payer", true},
		{French{}, "je veux faire un virement", false},
		{French{}, "ma carte ne marche pas", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang.Code()+" "+tt.text, func(t *testing.T) {
			n, ok := tt.lang.(WithNegation)
			if !ok {
				t.Fatalf("%s does not implement WithNegation", tt.lang.Code())
			}
			if got := n.DeclinesDesire(tt.text, tt.lang.Tokenize(tt.text)); got != tt.want {
				t.Errorf("DeclinesDesire(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
