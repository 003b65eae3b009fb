// Package redistest connects tests to the real Redis.
//
// Where Redis is not reachable (a laptop with only Go), tests that need it
// are skipped with a loud message; under CI=true they fail instead, so a CI
// run can never pass by silently skipping them.
package redistest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is used when PARLEY_TEST_REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv("PARLEY_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var counter atomic.Int64

// Client returns a client to the test Redis and a key prefix unique to this
// test, and deletes the test's keys afterwards.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("PARLEY_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		msg := fmt.Sprintf("REDIS UNAVAILABLE at %s (%v): this test needs a real Redis", URL(), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; under CI=true that is a failure")
		}
		t.Skip("SKIPPED: " + msg + "; start redis-server to run it")
	}
	prefix := fmt.Sprintf("test:%d:%d:", time.Now().UnixNano(), counter.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}
