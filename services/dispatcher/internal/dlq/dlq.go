// Package dlq stores the dispatcher's dead letters in the PARLEY_DLQ stream,
// one protobuf DeadLetter per message on parley.dlq.<bot>.<instance>, and
// reads them back for the admin API.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/parleyhq/parley/platform/bus"
	dispatcherv1 "github.com/parleyhq/parley/proto/gen/go/parley/dispatcher/v1"
)

// FirstInstanceToken stands for the empty instance id in subjects.
const FirstInstanceToken = "_"

// ErrNotFound is returned for a sequence that holds no dead letter.
var ErrNotFound = errors.New("dead letter not found")

// Store is the DLQ stream.
type Store struct {
	conn   *bus.Conn
	cfg    bus.Config
	stream jetstream.Stream
}

// Open creates or updates the stream.
func Open(ctx context.Context, conn *bus.Conn, maxAge time.Duration) (*Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, err := conn.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        conn.Cfg.Name(bus.StreamDeadLetters),
		Subjects:    []string{conn.Cfg.Subject(bus.SubjectDeadLetters) + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    conn.Cfg.Replicas,
		Duplicates:  conn.Cfg.DuplicateWindow,
		MaxAge:      maxAge,
		Discard:     jetstream.DiscardOld,
		Description: "Parley dead letters: asynchronous replies the dispatcher gave up on",
	})
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", conn.Cfg.Name(bus.StreamDeadLetters), err)
	}
	return &Store{conn: conn, cfg: conn.Cfg, stream: st}, nil
}

// Token makes an id safe as one subject token.
func Token(s string) string {
	if s == "" {
		return FirstInstanceToken
	}
	return bus.SubjectToken(s)
}

// Subject is the subject of a channel's dead letters.
func (s *Store) Subject(botID, instanceID string) string {
	return s.cfg.Subject(bus.SubjectDeadLetters) + "." + Token(botID) + "." + Token(instanceID)
}

// Filter is the subject filter for an optional bot and instance.
func (s *Store) Filter(botID, instanceID string, firstInstance bool) string {
	switch {
	case botID == "":
		return s.cfg.Subject(bus.SubjectDeadLetters) + ".>"
	case instanceID == "" && !firstInstance:
		return s.cfg.Subject(bus.SubjectDeadLetters) + "." + Token(botID) + ".*"
	}
	return s.Subject(botID, instanceID)
}

// Put stores a dead letter once per (message, source sequence): a
// re-published copy after a crash is dropped by the stream's de-duplication.
func (s *Store) Put(ctx context.Context, dl *dispatcherv1.DeadLetter) (uint64, error) {
	data, err := proto.Marshal(dl)
	if err != nil {
		return 0, fmt.Errorf("encode dead letter: %w", err)
	}
	ack, err := s.conn.Publish(ctx, nil, bus.Message{
		Subject: s.Subject(dl.GetBotId(), dl.GetInstanceId()),
		Data:    data,
		ID:      "dlq-" + dl.GetMessageId() + "-" + strconv.FormatUint(dl.GetSourceSequence(), 10),
		Header:  map[string]string{bus.HeaderDeadLetterReason: dl.GetReason(), bus.HeaderMessageID: dl.GetMessageId()},
	})
	if err != nil {
		return 0, fmt.Errorf("publish dead letter %s: %w", dl.GetMessageId(), err)
	}
	return ack.Sequence, nil
}

func decode(m *jetstream.RawStreamMsg) (*dispatcherv1.DeadLetter, error) {
	var dl dispatcherv1.DeadLetter
	if err := proto.Unmarshal(m.Data, &dl); err != nil {
		return nil, fmt.Errorf("decode dead letter at seq %d: %w", m.Sequence, err)
	}
	dl.Sequence = m.Sequence
	return &dl, nil
}

// Get reads one dead letter.
func (s *Store) Get(ctx context.Context, seq uint64) (*dispatcherv1.DeadLetter, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get dead letter %d: %w", seq, err)
	}
	return decode(m)
}

// Scan calls fn for each dead letter matching filter with sequence in
// [from, to] (to 0: no upper bound), in order, until fn returns false. It
// returns the sequence to continue from (0 when the end was reached).
func (s *Store) Scan(ctx context.Context, filter string, from, to uint64, fn func(*dispatcherv1.DeadLetter) bool) (uint64, error) {
	seq := max(from, 1)
	for {
		if to != 0 && seq > to {
			return 0, nil
		}
		m, err := s.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("scan dead letters from %d: %w", seq, err)
		}
		if to != 0 && m.Sequence > to {
			return 0, nil
		}
		dl, err := decode(m)
		if err != nil {
			return 0, err
		}
		if !fn(dl) {
			return m.Sequence + 1, nil
		}
		seq = m.Sequence + 1
	}
}

// Delete removes one dead letter.
func (s *Store) Delete(ctx context.Context, seq uint64) error {
	err := s.stream.DeleteMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	return nil
}

// Channel is a webhook instance, as named by its dead letters' subject.
type Channel struct{ BotID, InstanceID string }

// CountByChannel returns the number of stored dead letters per channel,
// from the stream's per-subject counts (channels without any are absent).
// Ids are read back from the subject tokens (FirstInstanceToken is the
// empty instance id).
func (s *Store) CountByChannel(ctx context.Context) (map[Channel]uint64, error) {
	prefix := s.cfg.Subject(bus.SubjectDeadLetters) + "."
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return nil, fmt.Errorf("dlq info: %w", err)
	}
	out := make(map[Channel]uint64, len(info.State.Subjects))
	for subj, n := range info.State.Subjects {
		bot, inst, ok := strings.Cut(strings.TrimPrefix(subj, prefix), ".")
		if !ok || n == 0 {
			continue
		}
		if inst == FirstInstanceToken {
			inst = ""
		}
		out[Channel{BotID: bot, InstanceID: inst}] += n
	}
	return out, nil
}

// Count returns the number of stored dead letters.
func (s *Store) Count(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("dlq info: %w", err)
	}
	return info.State.Msgs, nil
}
