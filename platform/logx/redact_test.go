package logx

import (
	"strings"
	"testing"
)

func TestRedactPII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"my email is ann.lee+bank@example.co.uk thanks", "my email is [email] thanks"},
		{"card 4111 1111 1111 1111 exp 12/29", "card [card] exp 12/29"},
		{"card 4111-1111-1111-1112", "card [number]"}, // not a valid card, still too long to show
		{"call me on +44 20 7946 0958", "call me on [phone]"},
		{"(555) 123-4567 is my number", "[phone] is my number"},
		{"transfer 200 dollars on 2026-12-01", "transfer 200 dollars on 2026-12-01"},
		{"show my balance", "show my balance"},
	}
	for _, tc := range tests {
		if got := RedactPII(tc.in); got != tc.want {
			t.Errorf("RedactPII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTextLogging(t *testing.T) {
	const s = "I am bob@example.com"
	if got := TextLogging("").Text(s); got != "[20 characters]" || strings.Contains(got, "bob") {
		t.Errorf("default = %q, want only the length", got)
	}
	if got := TextRedacted.Text(s); got != "I am [email]" {
		t.Errorf("redacted = %q", got)
	}
	if got := TextFull.Text(s); got != s {
		t.Errorf("full = %q", got)
	}
	if TextLogging("everything").Valid() || !TextLogging("").Valid() {
		t.Error("Valid accepts an unknown level or refuses the default")
	}
}

func FuzzRedactPII(f *testing.F) {
	f.Add("4111 1111 1111 1111 and a@b.co")
	f.Add("+1 (555) 123-4567")
	f.Fuzz(func(t *testing.T, s string) {
		out := RedactPII(s)
		if strings.Contains(s, "@") && emailPattern.MatchString(out) {
			t.Fatalf("an email survived: %q", out)
		}
		if digitRun.MatchString(out) {
			for _, run := range digitRun.FindAllString(out, -1) {
				n := 0
				for _, r := range run {
					if r >= '0' && r <= '9' {
						n++
					}
				}
				if n >= 7 && n <= 19 && !datePattern.MatchString(run) {
					t.Fatalf("a number of %d digits survived in %q", n, out)
				}
			}
		}
	})
}
