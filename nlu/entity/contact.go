package entity

import (
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b`)
	urlRe   = regexp.MustCompile(`(?i)\b(?:https?://|ftp://|www\.)[^\s<>"']+|\b[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:com|org|net|edu|gov|io|ai|co|uk|de|fr|in|us|info|biz|app|dev|me|ly)\b(?:/[^\s<>"']*)?`)
	phoneRe = regexp.MustCompile(`\+?\(?\d[\d\s().\-]{1,18}\d`)
	zipRe   = map[string]*regexp.Regexp{
		"US": regexp.MustCompile(`\b\d{5}(?:-\d{4})?\b`),
		"DE": regexp.MustCompile(`\b\d{5}\b`),
		"FR": regexp.MustCompile(`\b\d{5}\b`),
		"IN": regexp.MustCompile(`\b\d{3}\s?\d{3}\b`),
		"CA": regexp.MustCompile(`(?i)\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b`),
		"GB": regexp.MustCompile(`(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`),
		"NL": regexp.MustCompile(`(?i)\b\d{4}\s?[A-Z]{2}\b`),
	}
)

func extractRegexp(text string, re *regexp.Regexp) (span, bool) {
	loc := re.FindStringIndex(text)
	if loc == nil {
		return span{}, false
	}
	return span{start: loc[0], end: loc[1], value: text[loc[0]:loc[1]]}, true
}

// extractURL finds a URL, skipping e-mail domains and trailing punctuation.
func extractURL(text string) (span, bool) {
	emails := emailRe.FindAllStringIndex(text, -1)
	for _, loc := range urlRe.FindAllStringIndex(text, -1) {
		inEmail := false
		for _, e := range emails {
			if loc[0] < e[1] && e[0] < loc[1] {
				inEmail = true
			}
		}
		if inEmail {
			continue
		}
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?)]}'\"", rune(text[end-1])) {
			end--
		}
		if end > loc[0] {
			return span{start: loc[0], end: end, value: text[loc[0]:end]}, true
		}
	}
	return span{}, false
}

// extractPhone finds a phone number valid for its country (or the
// reference region) and returns it in E.164.
func extractPhone(text string, ref Reference) (span, bool) {
	for _, loc := range phoneRe.FindAllStringIndex(text, -1) {
		cand := strings.TrimRight(text[loc[0]:loc[1]], " .-(")
		digits := 0
		for i := 0; i < len(cand); i++ {
			if isDigit(cand[i]) {
				digits++
			}
		}
		if digits < 3 || digits > 15 {
			continue
		}
		num, err := phonenumbers.Parse(cand, ref.region())
		if err != nil || !phonenumbers.IsPossibleNumber(num) {
			continue
		}
		return span{start: loc[0], end: loc[0] + len(cand), value: phonenumbers.Format(num, phonenumbers.E164)}, true
	}
	return span{}, false
}

// extractZip finds a postal code in the reference region's format (US by
// default: 12345 or 12345-6789).
func extractZip(text string, ref Reference) (span, bool) {
	re, ok := zipRe[ref.region()]
	if !ok {
		re = zipRe["US"]
	}
	for _, loc := range re.FindAllStringIndex(text, -1) {
		// Not part of a longer number or a phone number.
		if loc[0] > 0 && (isDigit(text[loc[0]-1]) || text[loc[0]-1] == '-' || text[loc[0]-1] == '+') {
			continue
		}
		if loc[1] < len(text) && (isDigit(text[loc[1]]) || text[loc[1]] == '-' && loc[1]+1 < len(text) && isDigit(text[loc[1]+1])) {
			continue
		}
		return span{start: loc[0], end: loc[1], value: strings.ToUpper(text[loc[0]:loc[1]])}, true
	}
	return span{}, false
}
