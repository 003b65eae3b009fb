package logx

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// TextLogging is how much of a user's message text may reach the logs:
// Kore's PII settings, per bot.
type TextLogging string

// Text logging levels.
const (
	// TextHidden logs only the length of the text (the default).
	TextHidden TextLogging = "hidden"
	// TextRedacted logs the text with emails, card numbers and phone
	// numbers masked.
	TextRedacted TextLogging = "redacted"
	// TextFull logs the text as sent (debugging a bot with test data).
	TextFull TextLogging = "full"
)

// Valid reports whether l is one of the levels ("" means hidden).
func (l TextLogging) Valid() bool {
	switch l {
	case "", TextHidden, TextRedacted, TextFull:
		return true
	}
	return false
}

// Text returns what of s may be logged under l.
func (l TextLogging) Text(s string) string {
	switch l {
	case TextFull:
		return s
	case TextRedacted:
		return RedactPII(s)
	}
	return fmt.Sprintf("[%d characters]", utf8.RuneCountInString(s))
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)
	// A run of digits with optional spaces, dots, dashes, slashes and
	// parentheses, and an optional leading +: phones and cards alike.
	digitRun = regexp.MustCompile(`\+?\(?\d[\d\s().\-/]{5,}\d`)
	// Dates are not personal data and make the text readable.
	datePattern = regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$`)
)

// RedactPII masks emails, payment card numbers (13-19 digits passing the
// Luhn check), phone numbers (7-15 digits) and other long numbers (16
// digits or more) in s; dates stay.
func RedactPII(s string) string {
	s = emailPattern.ReplaceAllString(s, "[email]")
	return digitRun.ReplaceAllStringFunc(s, func(run string) string {
		if datePattern.MatchString(run) {
			return run
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, run)
		switch n := len(digits); {
		case n >= 13 && n <= 19 && luhn(digits):
			return "[card]"
		case n >= 7 && n <= 15:
			return "[phone]"
		case n >= 16:
			return "[number]"
		}
		return run
	})
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
