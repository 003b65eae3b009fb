package httpout

import "time"

// answerSlowly holds a test server's response for d: the endpoint must be
// slower than the client's per-attempt timeout, which only real time shows.
func answerSlowly(d time.Duration) {
	time.Sleep(d)
}
