package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parleyhq/parley/chaos/internal/ledger"
)

// User is one simulated end user and the webhook token it sends.
type User struct {
	ID    string
	Token string
	Turns int
}

// Driver sends every user's numbered turns to the webhook. Each user sends
// its turns one after another, the next only once the previous was
// answered 2xx or given up; all users together keep to Rate turns a second.
type Driver struct {
	URL    string
	Users  []User
	Rate   float64
	Ledger *ledger.Ledger
	// TurnBudget bounds the retries of one turn; past it the turn is given
	// up and the user goes on with the next.
	TurnBudget time.Duration
	// KeyPrefix makes the Idempotency-Keys of a run unique.
	KeyPrefix string
	Client    *http.Client
}

// Run sends every turn and returns when all users are done or ctx ends.
func (d *Driver) Run(ctx context.Context) {
	limiter := rate.NewLimiter(rate.Limit(d.Rate), 1)
	var wg sync.WaitGroup
	for _, u := range d.Users {
		wg.Go(func() {
			for n := 1; n <= u.Turns; n++ {
				if limiter.Wait(ctx) != nil {
					return
				}
				d.send(ctx, u, n)
			}
		})
	}
	wg.Wait()
}

// send posts one turn until it is answered 2xx, refused for good, or its
// budget is spent. Every request carries the same Idempotency-Key, so a
// retry after a lost answer does not make a second turn.
func (d *Driver) send(ctx context.Context, u User, n int) {
	turn := ledger.Turn{User: u.ID, N: n}
	body, _ := json.Marshal(map[string]any{
		"message": map[string]any{"text": TurnText(u.ID, n)},
		"from":    map[string]any{"id": u.ID},
	})
	key := fmt.Sprintf("%s-%s-%d", d.KeyPrefix, u.ID, n)
	d.Ledger.Sent(turn)
	deadline := time.Now().Add(d.TurnBudget)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		status, retryAfter, err := d.post(ctx, u.Token, key, body)
		var wait time.Duration
		switch {
		case err != nil:
			d.Ledger.TransportError()
			wait = time.Second
		default:
			d.Ledger.Answered(turn, status)
			if status >= 200 && status < 300 {
				return
			}
			if !retryable(status) {
				return
			}
			wait = retryAfter
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

func (d *Driver) post(ctx context.Context, token, key string, body []byte) (status int, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After")), nil
}

// retryable says whether a real client would send the turn again: the
// server is unavailable, throttling, busy with the same key, or failing.
func retryable(status int) bool {
	switch status {
	case http.StatusConflict, http.StatusTooManyRequests, http.StatusRequestTimeout:
		return true
	}
	return status >= 500
}

// parseRetryAfter reads delta-seconds; without one a client waits 1 s,
// and it never waits more than 10 s so that a turn's budget allows retries.
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(v)
	switch {
	case err != nil || secs < 1:
		return time.Second
	case secs > 10:
		return 10 * time.Second
	}
	return time.Duration(secs) * time.Second
}
