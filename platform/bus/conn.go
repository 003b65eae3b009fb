package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// superviseEvery is how often a connection checks that JetStream answers
// and that every stream and bucket it set up still exists.
const superviseEvery = 5 * time.Second

// checkTimeout bounds one supervision round; JetStream answers in
// milliseconds when it answers at all.
const checkTimeout = 2 * time.Second

// Conn is an open connection with its JetStream context.
//
// A Conn rides through NATS faults instead of failing its process: it
// connects in the background when the server is not there yet, reconnects
// forever, and keeps every stream, KV bucket and object store created
// through JS alive: after each (re)connect and every few seconds it checks
// that they exist and creates again any that has disappeared (a
// memory-backed bucket lost in a restart, a stream deleted by hand).
// Check reports whether the bus can serve, for readiness.
type Conn struct {
	NC *nats.Conn
	// JS creates streams, buckets and object stores like the jetstream
	// package's, and also records them for re-creation (see ensuringJS).
	JS  jetstream.JetStream
	Cfg Config

	log    *slog.Logger
	kick   chan struct{}
	stop   chan struct{}
	closed sync.Once
	done   chan struct{}
	// health is the error of the last supervision round (nil: serving);
	// it starts as "not set up yet".
	health atomic.Pointer[error]

	mu        sync.Mutex
	resources map[string]func(context.Context) error // by stream name
	fenced    map[string]bool                        // streams whose sequence fences writes
}

var errNotChecked = errors.New("bus: JetStream not checked yet")

// Connect opens a connection to NATS. It does not wait for the server: with
// NATS unreachable it returns a connection that keeps trying (Check fails
// until it succeeds). Options can add nats.InProcessServer for the embedded
// server.
//
// Nothing is buffered while disconnected: a publish either reaches the
// server or fails at once, so a caller is never told "failed" about a
// message that is stored later, after the reconnect.
func Connect(cfg Config, name string, log *slog.Logger, opts ...nats.Option) (*Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conn{
		Cfg: cfg, log: log.With("component", "bus"),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		resources: map[string]func(context.Context) error{}, fenced: map[string]bool{},
	}
	c.health.Store(&errNotChecked)
	opts = append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(*nats.Conn) { c.log.Info("nats connected"); c.Repair() }),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
			c.Repair()
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			c.log.Warn("nats disconnected; reconnecting", "err", err)
		}),
	}, opts...)
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %q: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	c.NC, c.JS = nc, ensuringJS{JetStream: js, c: c}
	go c.supervise()
	return c, nil
}

// Close stops supervising and drains the connection so that pending
// publishes and acks are sent (a connection that is down is just closed).
func (c *Conn) Close() {
	c.closed.Do(func() {
		close(c.stop)
		<-c.done
		// Draining a connection that is down would wait for the server.
		if c.NC.Status() != nats.CONNECTED || c.NC.Drain() != nil {
			c.NC.Close()
		}
	})
}

// Check passes while the connection is up and the last supervision round
// found JetStream answering with every recorded stream and bucket in place:
// the readiness of everything that uses the bus. It sends nothing.
func (c *Conn) Check(context.Context) error {
	if st := c.NC.Status(); st != nats.CONNECTED {
		return fmt.Errorf("nats connection is %s", st)
	}
	return *c.health.Load()
}

// Repair asks for a supervision round now: a caller that finds a stream or
// bucket missing calls it so that the thing is created again without
// waiting for the next round.
func (c *Conn) Repair() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Conn) supervise() {
	defer close(c.done)
	tick := time.NewTicker(superviseEvery)
	defer tick.Stop()
	base, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { <-c.stop; stop() }()
	var again <-chan time.Time // soon after a failed round
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-tick.C:
		case <-again:
		}
		ctx, cancel := context.WithTimeout(base, checkTimeout)
		err := c.checkResources(ctx)
		cancel()
		again = nil
		if err != nil {
			again = time.After(time.Second)
		}
		if prev := *c.health.Load(); (prev == nil) != (err == nil) {
			if err != nil {
				c.log.Warn("JetStream not serving", "err", err)
			} else {
				c.log.Info("JetStream serving")
			}
		}
		c.health.Store(&err)
	}
}

// checkResources creates again every recorded stream or bucket that no
// longer exists; with none recorded it only asks JetStream for the
// account's limits, to know that it answers.
func (c *Conn) checkResources(ctx context.Context) error {
	if c.NC.Status() != nats.CONNECTED {
		return fmt.Errorf("nats connection is %s", c.NC.Status())
	}
	c.mu.Lock()
	recreate := make(map[string]func(context.Context) error, len(c.resources))
	for name, fn := range c.resources {
		recreate[name] = fn
	}
	c.mu.Unlock()
	if len(recreate) == 0 {
		if _, err := c.JS.AccountInfo(ctx); err != nil {
			return fmt.Errorf("jetstream: %w", err)
		}
		return nil
	}
	var errs []error
	for name, fn := range recreate {
		_, err := c.JS.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			c.log.Warn("stream missing; creating it again", "stream", name)
			err = fn(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stream %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// record remembers how to create a stream again.
func (c *Conn) record(stream string, create func(context.Context) error) {
	c.mu.Lock()
	c.resources[stream] = create
	c.mu.Unlock()
}

// fenceSequences marks a stream whose sequence numbers fence writes
// elsewhere (the dialog's sessions record the last turn sequence applied):
// if it has to be created again, its sequence must not start over.
func (c *Conn) fenceSequences(stream string) {
	c.mu.Lock()
	c.fenced[stream] = true
	c.mu.Unlock()
}

func (c *Conn) isFenced(stream string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fenced[stream]
}

// ensuringJS is the JetStream context of a Conn. Its create calls record
// what they created, so that the Conn can create it again after it
// disappeared; every other call is jetstream's own. Services keep calling
// JS.CreateOrUpdateKeyValue and the like, and get re-creation for free.
type ensuringJS struct {
	jetstream.JetStream
	c *Conn
}

func (js ensuringJS) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.JetStream.CreateStream(ctx, cfg)
	if err == nil {
		js.c.record(cfg.Name, func(ctx context.Context) error { return js.createAgain(ctx, cfg) })
	}
	return s, err
}

func (js ensuringJS) CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.JetStream.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		js.c.record(cfg.Name, func(ctx context.Context) error { return js.createAgain(ctx, cfg) })
	}
	return s, err
}

// createAgain creates a stream that disappeared. A fenced one starts at a
// sequence derived from the clock (microseconds since 1970), above any
// sequence the lost stream can have reached, so that the fences recorded
// against it keep working. (A deployment that wipes NATS's data while
// keeping Redis, and so the sessions, must clear the sessions too: a
// stream created for the first time starts at 1.)
func (js ensuringJS) createAgain(ctx context.Context, cfg jetstream.StreamConfig) error {
	if js.c.isFenced(cfg.Name) {
		cfg.FirstSeq = uint64(time.Now().UnixMicro())
	}
	_, err := js.JetStream.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil // another process was faster
	}
	return err
}

func (js ensuringJS) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.JetStream.CreateKeyValue(ctx, cfg)
	if err == nil {
		js.recordKeyValue(cfg)
	}
	return kv, err
}

func (js ensuringJS) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.JetStream.CreateOrUpdateKeyValue(ctx, cfg)
	if err == nil {
		js.recordKeyValue(cfg)
	}
	return kv, err
}

func (js ensuringJS) recordKeyValue(cfg jetstream.KeyValueConfig) {
	js.c.record("KV_"+cfg.Bucket, func(ctx context.Context) error {
		_, err := js.JetStream.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
}

func (js ensuringJS) CreateObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := js.JetStream.CreateObjectStore(ctx, cfg)
	if err == nil {
		js.recordObjectStore(cfg)
	}
	return obs, err
}

func (js ensuringJS) CreateOrUpdateObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := js.JetStream.CreateOrUpdateObjectStore(ctx, cfg)
	if err == nil {
		js.recordObjectStore(cfg)
	}
	return obs, err
}

func (js ensuringJS) recordObjectStore(cfg jetstream.ObjectStoreConfig) {
	js.c.record("OBJ_"+cfg.Bucket, func(ctx context.Context) error {
		_, err := js.JetStream.CreateOrUpdateObjectStore(ctx, cfg)
		return err
	})
}
