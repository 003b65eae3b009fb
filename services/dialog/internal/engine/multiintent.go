package engine

import (
	"strings"

	"github.com/parleyhq/parley/nlu/lang"
)

// multiIntent splits an utterance on the language's cue phrases ("and
// then", "but before that"), recognises each part, and when two or more
// parts name tasks, starts the first and queues the others (Kore's
// multi-intent detection, reference §6). It reports whether it did.
func (r *run) multiIntent(text string) bool {
	parts := splitIntents(text, r.b.words)
	if len(parts) < 2 {
		return false
	}
	var found []Queued
	for _, p := range parts {
		rec := r.b.recognizer.Recognize(p)
		if rec.Status != StatusDefinite && rec.Status != StatusProbable {
			continue
		}
		if r.b.byIntent[rec.Intent] == nil {
			continue
		}
		if len(found) > 0 && found[len(found)-1].Intent == rec.Intent {
			continue // one request said twice
		}
		found = append(found, Queued{Intent: rec.Intent, Utterance: p})
	}
	if len(found) < 2 {
		return false
	}
	r.st.Queued = found[1:]
	r.startTask(r.b.byIntent[found[0].Intent], found[0].Intent, found[0].Utterance)
	return true
}

// splitIntents cuts text at cue phrases, in the order the user wants them
// done: a part introduced by a "before" cue ("but before that …") goes
// ahead of the part before it. Offsets are kept by cutting the original
// text, so entity spans stay right.
func splitIntents(text string, v compiledVocabulary) []string {
	lower := lang.LowerKeepOffsets(text)
	type cut struct {
		start, end int
		before     bool
	}
	var cuts []cut
	for i := 0; i < len(lower); i++ {
		if i > 0 && isWordByte(lower[i-1]) {
			continue
		}
		best := cut{start: -1}
		for _, c := range v.splitters {
			if strings.HasPrefix(lower[i:], c.phrase) && (i+len(c.phrase) == len(lower) || !isWordByte(lower[i+len(c.phrase)])) {
				if best.start < 0 || len(c.phrase) > best.end-best.start {
					best = cut{start: i, end: i + len(c.phrase), before: c.before}
				}
			}
		}
		if best.start >= 0 {
			cuts = append(cuts, best)
			i = best.end - 1
		}
	}
	var parts []string
	prev, beforeNext := 0, false
	for k := 0; k <= len(cuts); k++ {
		end := len(text)
		if k < len(cuts) {
			end = cuts[k].start
		}
		part := strings.Trim(text[prev:end], " ,;.!?")
		if part != "" {
			if beforeNext && len(parts) > 0 {
				parts = append(parts[:len(parts)-1], part, parts[len(parts)-1])
			} else {
				parts = append(parts, part)
			}
		}
		if k < len(cuts) {
			prev, beforeNext = cuts[k].end, cuts[k].before
		}
	}
	return parts
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80
}
