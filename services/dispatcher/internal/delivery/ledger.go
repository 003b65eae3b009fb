package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Ledger records, per message id, that a message was delivered (the
// endpoint answered 2xx) or dead-lettered, so that a redelivered or replayed
// reply never POSTs it again. It is a JetStream KV bucket whose entries
// expire after the TTL.
type Ledger struct{ kv jetstream.KeyValue }

// State of a message in the ledger.
type State int

// States.
const (
	Pending State = iota
	Delivered
	DeadLettered
)

const (
	valDelivered = "ok"
	valDLQ       = "dlq:"
)

// OpenLedger creates or updates the bucket.
func OpenLedger(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, ttl time.Duration) (*Ledger, error) {
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	kv, err := js.CreateOrUpdateKeyValue(c, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Parley dispatcher: delivered and dead-lettered message ids",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", bucket, err)
	}
	return &Ledger{kv: kv}, nil
}

var keySafe = regexp.MustCompile(`^[-_=A-Za-z0-9]{1,200}$`)

// key maps a message id to a KV key; ids outside the safe alphabet are
// hashed.
func key(id string) string {
	if keySafe.MatchString(id) {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return "h-" + hex.EncodeToString(h[:16])
}

// Get returns the recorded state of a message.
func (l *Ledger) Get(ctx context.Context, id string) (State, error) {
	e, err := l.kv.Get(ctx, key(id))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return Pending, nil
	case err != nil:
		return Pending, fmt.Errorf("ledger get %s: %w", id, err)
	}
	v := string(e.Value())
	switch {
	case v == valDelivered:
		return Delivered, nil
	case strings.HasPrefix(v, valDLQ):
		return DeadLettered, nil
	}
	return Pending, nil
}

// MarkDelivered records a 2xx.
func (l *Ledger) MarkDelivered(ctx context.Context, id string) error {
	if _, err := l.kv.Put(ctx, key(id), []byte(valDelivered)); err != nil {
		return fmt.Errorf("ledger put %s: %w", id, err)
	}
	return nil
}

// MarkDeadLettered records that a message went to the DLQ at seq.
func (l *Ledger) MarkDeadLettered(ctx context.Context, id string, seq uint64) error {
	if _, err := l.kv.Put(ctx, key(id), []byte(valDLQ+strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("ledger put %s: %w", id, err)
	}
	return nil
}
