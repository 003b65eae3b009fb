package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/platform/run"
)

// Config is the bus section shared by every service.
type Config struct {
	// URL of the NATS server; empty in the one-binary mode means "start the
	// embedded server".
	URL string `yaml:"url"`
	// Partitions is fixed when the streams are first created.
	Partitions int `yaml:"partitions"`
	// Replicas of the streams and buckets (1 on a single server, 3 in a
	// cluster).
	Replicas int `yaml:"replicas"`
	// DuplicateWindow is JetStream's de-duplication window for Nats-Msg-Id.
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// Prefix is prepended to stream and bucket names so that several
	// deployments (or test runs) can share one NATS account.
	Prefix string `yaml:"prefix"`
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
}

// Validate reports the first invalid key.
func (c Config) Validate() error {
	switch {
	case c.Partitions < 1 || c.Partitions > 1024:
		return errors.New("nats.partitions: must be between 1 and 1024")
	case c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5:
		return errors.New("nats.replicas: must be 1, 3 or 5")
	case c.DuplicateWindow < time.Second:
		return errors.New("nats.duplicate_window: must be at least 1s")
	}
	return nil
}

// EnsureStreams creates or updates the streams and records the partition
// count, refusing a configuration whose count differs from the recorded one
// (a run.Permanent error: waiting cannot fix it). It is idempotent and every
// service calls it at start, through run.Retry; once it succeeded, the Conn
// creates the streams again if they disappear.
func (c *Conn) EnsureStreams(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := c.checkPartitions(ctx); err != nil {
		return err
	}
	// Sessions record the sequence of the last turn applied: a turns
	// stream created again must not start over at 1.
	c.fenceSequences(c.Cfg.Name(StreamTurns))
	for _, s := range []struct{ name, root string }{
		{StreamTurns, SubjectTurns},
		{StreamReplies, SubjectReplies},
		{StreamEvents, SubjectEvents},
	} {
		_, err := c.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        c.Cfg.Name(s.name),
			Subjects:    []string{c.Cfg.Subject(s.root) + ".>"},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Replicas:    c.Cfg.Replicas,
			Duplicates:  c.Cfg.DuplicateWindow,
			MaxAge:      7 * 24 * time.Hour,
			Discard:     jetstream.DiscardOld,
			Description: "Parley " + s.root,
		})
		if err != nil {
			return fmt.Errorf("ensure stream %s: %w", c.Cfg.Name(s.name), err)
		}
	}
	return nil
}

func (c *Conn) checkPartitions(ctx context.Context) error {
	kv, err := c.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      c.Cfg.Name(bucketLayout),
		Description: "Parley bus layout",
		Storage:     jetstream.FileStorage,
		Replicas:    c.Cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("ensure bucket %s: %w", c.Cfg.Name(bucketLayout), err)
	}
	want := strconv.Itoa(c.Cfg.Partitions)
	if _, err := kv.Create(ctx, "partitions", []byte(want)); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("record partition count: %w", err)
	}
	got, err := kv.Get(ctx, "partitions")
	if err != nil {
		return fmt.Errorf("read partition count: %w", err)
	}
	if string(got.Value()) != want {
		return run.Permanent(fmt.Errorf("nats.partitions: configured %s but the streams were created with %s; the count cannot change without recreating the streams", want, got.Value()))
	}
	return nil
}
