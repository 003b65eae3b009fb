package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleyhq/parley/platform/polltest"
)

// TestSentinelFixtureFailsOver: a Sentinel client writes through the
// fixture's primary, the primary is killed, the Sentinels promote the
// replica and the same client reads the write back from it.
func TestSentinelFixtureFailsOver(t *testing.T) {
	d := StartSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: d.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := t.Context()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	polltest.UntilNil(t, "the write on the replica", 5*time.Second, func() error {
		return d.Replica.Client(t).Get(ctx, "k").Err()
	})
	d.Primary.Kill()
	if now := d.WaitFailover(t, d.Primary.Addr, 30*time.Second); now != d.Replica.Addr {
		t.Fatalf("new primary %s, want the replica %s", now, d.Replica.Addr)
	}
	polltest.UntilNil(t, "the client on the new primary", 10*time.Second, func() error {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if v, err := rdb.Get(c, "k").Result(); err != nil || v != "v" {
			return err
		}
		return rdb.Set(c, "k2", "v2", 0).Err()
	})
}
