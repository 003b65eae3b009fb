// Package redisstore keeps sessions in Redis: one hash per conversation,
// sess:{<convkey>}, whose hash tag keeps every key of a conversation in one
// Redis Cluster slot. A Lua script makes the version check, the fencing check
// and the write one atomic step.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/session"
)

// Store is a session.Store on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a store; prefix namespaces the keys.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) key(convKey string) string { return s.prefix + "sess:{" + convKey + "}" }

// Load reads a session.
func (s *Store) Load(ctx context.Context, convKey string) (session.Record, error) {
	vals, err := s.rdb.HMGet(ctx, s.key(convKey), "v", "state").Result()
	if err != nil {
		return session.Record{}, fmt.Errorf("load session %s: %w", convKey, err)
	}
	if vals[0] == nil {
		return session.Record{}, nil
	}
	v, err := strconv.ParseUint(vals[0].(string), 10, 64)
	if err != nil {
		return session.Record{}, fmt.Errorf("load session %s: bad version: %w", convKey, err)
	}
	var sess dialogv1.Session
	if state, _ := vals[1].(string); state != "" {
		if err := proto.Unmarshal([]byte(state), &sess); err != nil {
			return session.Record{}, fmt.Errorf("load session %s: decode: %w", convKey, err)
		}
	}
	return session.Record{Version: v, Session: &sess}, nil
}

// save returns 1 on success, 0 on a version conflict and -1 when the turn
// is not newer than the stored one.
var save = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'last_seq') or '0')
if tonumber(ARGV[4]) <= last then return -1 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'v', tonumber(v) + 1, 'last_seq', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// Save writes next if the record is still at prev's version and next is a
// later turn.
func (s *Store) Save(ctx context.Context, convKey string, prev session.Record, next *dialogv1.Session, ttl time.Duration) (uint64, error) {
	data, err := proto.Marshal(next)
	if err != nil {
		return 0, fmt.Errorf("save session %s: encode: %w", convKey, err)
	}
	res, err := save.Run(ctx, s.rdb, []string{s.key(convKey)},
		strconv.FormatUint(prev.Version, 10), data, ttl.Milliseconds(), strconv.FormatUint(next.LastTurnSequence, 10)).Int()
	if err != nil {
		return 0, fmt.Errorf("save session %s: %w", convKey, err)
	}
	switch res {
	case 1:
		return prev.Version + 1, nil
	case -1:
		return 0, session.ErrStale
	default:
		return 0, session.ErrConflict
	}
}

var _ session.Store = (*Store)(nil)

// IsUnavailable reports whether err means Redis could not be reached.
func IsUnavailable(err error) bool {
	return err != nil && !errors.Is(err, session.ErrConflict) && !errors.Is(err, session.ErrStale)
}
