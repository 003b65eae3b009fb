package run

import "time"

// eventually polls cond every few milliseconds until it holds or the time
// is up, and reports whether it held: a test waits for a condition, never
// for a fixed duration.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
