package idempotency

import "time"

// waitPast lets d of real time pass: a lease lapses by the store's own clock
// (a Redis TTL, a lease time in the KV store), which a test cannot advance.
func waitPast(d time.Duration) {
	time.Sleep(d)
}
