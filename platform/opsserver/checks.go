package opsserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// NATSCheck passes while nc is connected. It reads the client's state and
// sends nothing, so it is free to probe every second; a reconnecting client
// fails it, taking the replica out of rotation until the bus is back.
func NATSCheck(nc *nats.Conn) Check {
	return func(context.Context) error {
		if nc == nil {
			return errors.New("no nats connection")
		}
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", st)
		}
		return nil
	}
}

// Pinger is the part of a go-redis client RedisCheck needs
// (redis.UniversalClient, *redis.Client and *redis.ClusterClient have it).
type Pinger interface {
	Ping(ctx context.Context) *redis.StatusCmd
}

// RedisCheck passes while Redis answers PING within the check timeout.
func RedisCheck(rdb Pinger) Check {
	return func(ctx context.Context) error {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis ping: %w", err)
		}
		return nil
	}
}

// ReadyCheck passes once ready is closed: pass a run.Ready service's
// Ready() to gate readiness on it (the ingress listening, the dialog's and
// dispatcher's consumers bound).
func ReadyCheck(ready <-chan struct{}) Check {
	return func(context.Context) error {
		select {
		case <-ready:
			return nil
		default:
			return errors.New("not started")
		}
	}
}
