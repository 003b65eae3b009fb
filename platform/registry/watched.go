package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	registryv1 "github.com/parleyhq/parley/proto/gen/go/parley/registry/v1"
)

// Source is where a Watched view reads the registry: the records bucket and
// the bot archive store that the channels service writes.
type Source struct {
	Records  jetstream.KeyValue
	Archives jetstream.ObjectStore
}

// WatchedConfig configures a Watched view.
type WatchedConfig struct {
	// Sealer opens the records' secrets; it must hold the master key the
	// channels service sealed them with.
	Sealer *Sealer
	// BotDir, when set, receives each published bot version as
	// <BotDir>/<botID>/v<N>, and Bot.Path points there, so services that
	// load bots from a directory work unchanged. Without it Bot.Path is empty
	// and BotDefinition is the only way to the files.
	BotDir string
	Logger *slog.Logger
	// RetryEvery is how often failed bot loads are retried and expired
	// secrets dropped; default 1s.
	RetryEvery time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
}

// ChangeKind is what a Change is about.
type ChangeKind int

// Kinds of change.
const (
	ChangeApp ChangeKind = iota + 1
	ChangeBot
	ChangeInstance
	// ChangeBotPublished follows ChangeBot when the bot's published
	// definition was loaded.
	ChangeBotPublished
)

// Change is one applied update of the view.
type Change struct {
	Kind ChangeKind
	// ID is the client id, the bot id, or "<botID>/<instanceID>".
	ID       string
	Deleted  bool
	Revision uint64
}

type botEntry struct {
	rec *registryv1.BotRecord
	def *BotDefinition // nil until a published version is loaded
	// failed is the published version that did not load, retried later.
	failed int
}

// Watched is a View fed by a watch on the registry bucket: every replica
// holds the whole registry in memory and applies changes within
// milliseconds of their write, so no request waits on a remote call.
type Watched struct {
	cfg WatchedConfig
	src Source
	log *slog.Logger

	mu       sync.RWMutex
	appRecs  map[string]*registryv1.AppRecord
	instRecs map[string]*registryv1.InstanceRecord
	apps     map[string]App
	bots     map[string]*botEntry
	insts    map[string]Instance
	rev      uint64
	// nextExpiry is the earliest deadline of a retiring secret in the view.
	nextExpiry time.Time
	changed    chan struct{}

	subMu sync.Mutex
	subs  []func(Change)

	stop context.CancelFunc
	done chan struct{}
}

var _ View = (*Watched)(nil)

// NewWatched loads the registry from src and keeps following it until
// Close. It returns once the current contents, including published bot
// definitions, are in memory, or when ctx ends.
func NewWatched(ctx context.Context, src Source, cfg WatchedConfig) (*Watched, error) {
	if cfg.Sealer == nil {
		return nil, errors.New("registry: a sealer (master key) is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Watched{
		cfg: cfg, src: src, log: cfg.Logger.With("component", "registry"),
		appRecs: map[string]*registryv1.AppRecord{}, instRecs: map[string]*registryv1.InstanceRecord{},
		apps: map[string]App{}, bots: map[string]*botEntry{}, insts: map[string]Instance{},
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = stop
	kw, err := src.Records.WatchAll(wctx)
	if err != nil {
		stop()
		return nil, fmt.Errorf("watch registry: %w", err)
	}
	initial := make(chan struct{})
	go w.loop(wctx, kw, initial)
	select {
	case <-initial:
		return w, nil
	case <-ctx.Done():
		w.Close()
		return nil, fmt.Errorf("load registry: %w", ctx.Err())
	}
}

// Close stops following the registry; the view keeps its last contents.
func (w *Watched) Close() {
	w.stop()
	<-w.done
}

func (w *Watched) loop(ctx context.Context, kw jetstream.KeyWatcher, initial chan struct{}) {
	defer close(w.done)
	defer func() {
		if kw != nil {
			_ = kw.Stop()
		}
	}()
	tick := time.NewTicker(w.cfg.RetryEvery)
	defer tick.Stop()
	var loaded sync.Once
	for {
		var updates <-chan jetstream.KeyValueEntry // nil (never ready) without a watch
		if kw != nil {
			updates = kw.Updates()
		}
		select {
		case <-ctx.Done():
			return
		case e, ok := <-updates:
			if !ok {
				// The server ended the watch (a restart, a lost bucket):
				// the view keeps its contents and resumes on the next tick.
				w.log.Warn("registry watch closed; watching again")
				kw = nil
				continue
			}
			if e == nil {
				loaded.Do(func() { close(initial) })
				continue
			}
			w.apply(ctx, e)
		case <-tick.C:
			if kw == nil {
				kw = w.rewatch(ctx)
			}
			w.maintain(ctx)
		}
	}
}

// rewatch makes one attempt to follow the registry again from the first
// revision not applied yet; nil means "try at the next tick".
func (w *Watched) rewatch(ctx context.Context) jetstream.KeyWatcher {
	kw, err := w.src.Records.WatchAll(ctx, jetstream.ResumeFromRevision(w.Revision()+1))
	if err != nil {
		w.log.Debug("watch registry", "err", err)
		return nil
	}
	w.log.Info("registry watch re-established", "from_revision", w.Revision()+1)
	return kw
}

// apply decodes one entry into the view. A record that does not decode or
// open is logged and skipped: the previous value stays, so a bad write
// cannot take a serving channel down.
func (w *Watched) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	key := e.Key()
	deleted := e.Operation() != jetstream.KeyValuePut
	ch := Change{Deleted: deleted, Revision: e.Revision()}
	var published *Change
	var err error
	switch {
	case strings.HasPrefix(key, AppKeyPrefix):
		ch.Kind, ch.ID = ChangeApp, strings.TrimPrefix(key, AppKeyPrefix)
		err = w.applyApp(ch.ID, e.Value(), deleted)
	case strings.HasPrefix(key, InstanceKeyPrefix):
		botID, instID, ok := ParseInstanceKey(key)
		if !ok {
			return
		}
		ch.Kind, ch.ID = ChangeInstance, botID+"/"+instID
		err = w.applyInstance(ch.ID, e.Value(), deleted)
	case strings.HasPrefix(key, BotKeyPrefix):
		ch.Kind, ch.ID = ChangeBot, strings.TrimPrefix(key, BotKeyPrefix)
		var loaded bool
		if loaded, err = w.applyBot(ctx, ch.ID, e.Value(), deleted); loaded {
			published = &Change{Kind: ChangeBotPublished, ID: ch.ID, Revision: e.Revision()}
		}
	default:
		return
	}
	if err != nil {
		w.log.Error("registry record skipped", "key", key, "err", err)
		return
	}
	w.mu.Lock()
	w.rev = max(w.rev, e.Revision())
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	w.notify(ch)
	if published != nil {
		w.notify(*published)
	}
}

func (w *Watched) applyApp(id string, value []byte, deleted bool) error {
	if deleted {
		w.mu.Lock()
		delete(w.appRecs, id)
		delete(w.apps, id)
		w.mu.Unlock()
		return nil
	}
	rec, err := DecodeApp(value)
	if err != nil {
		return err
	}
	app, err := w.cfg.Sealer.OpenApp(rec, w.cfg.Now())
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	w.mu.Lock()
	w.appRecs[id] = rec
	w.apps[id] = app
	w.noteExpiry(rec.GetRetiringSecrets())
	w.mu.Unlock()
	return nil
}

// applyInstance applies an instance record; id is "<botID>/<instanceID>".
func (w *Watched) applyInstance(id string, value []byte, deleted bool) error {
	if deleted {
		w.mu.Lock()
		delete(w.instRecs, id)
		delete(w.insts, id)
		w.mu.Unlock()
		return nil
	}
	rec, err := DecodeInstance(value)
	if err != nil {
		return err
	}
	in, err := w.cfg.Sealer.OpenInstance(rec, w.cfg.Now())
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	w.mu.Lock()
	w.instRecs[id] = rec
	w.insts[id] = in
	w.noteExpiry(rec.GetSigningSecrets())
	w.mu.Unlock()
	return nil
}

// applyBot applies a bot record and loads its published version when that
// changed; loaded reports a newly loaded definition.
func (w *Watched) applyBot(ctx context.Context, id string, value []byte, deleted bool) (loaded bool, err error) {
	if deleted {
		w.mu.Lock()
		delete(w.bots, id)
		w.mu.Unlock()
		return false, nil
	}
	rec, err := DecodeBot(value)
	if err != nil {
		return false, err
	}
	w.mu.RLock()
	old := w.bots[id]
	w.mu.RUnlock()
	ent := &botEntry{rec: rec}
	if old != nil {
		ent.def = old.def
	}
	pub := int(rec.GetPublishedVersion())
	if pub != 0 && (ent.def == nil || ent.def.Version != pub) {
		// Loading happens before the record is swapped in, so readers see
		// either the old definition or the complete new one.
		if def, err := w.loadBot(ctx, rec); err != nil {
			w.log.Error("published bot version does not load; keeping the previous one",
				"bot_id", id, "version", pub, "err", err)
			ent.failed = pub
		} else {
			ent.def, loaded = def, true
		}
	}
	if pub == 0 {
		ent.def = nil
	}
	w.mu.Lock()
	w.bots[id] = ent
	w.mu.Unlock()
	return loaded, nil
}

// noteExpiry records the earliest future deadline; mu must be held.
func (w *Watched) noteExpiry(ss []*registryv1.SealedSecret) {
	for _, s := range ss {
		if s.GetUntil() == nil {
			continue
		}
		if until := s.GetUntil().AsTime(); w.nextExpiry.IsZero() || until.Before(w.nextExpiry) {
			w.nextExpiry = until
		}
	}
}

// maintain retries bot versions that failed to load and re-opens records
// once a retiring secret expires, so the view stops handing it out.
func (w *Watched) maintain(ctx context.Context) {
	w.mu.RLock()
	var retry []*registryv1.BotRecord
	for _, b := range w.bots {
		if b.failed != 0 && b.failed == int(b.rec.GetPublishedVersion()) {
			retry = append(retry, b.rec)
		}
	}
	expire := !w.nextExpiry.IsZero() && !w.cfg.Now().Before(w.nextExpiry)
	w.mu.RUnlock()
	for _, rec := range retry {
		def, err := w.loadBot(ctx, rec)
		if err != nil {
			continue
		}
		w.mu.Lock()
		if b := w.bots[rec.GetId()]; b != nil && b.rec.GetPublishedVersion() == rec.GetPublishedVersion() {
			b.def, b.failed = def, 0
		}
		w.mu.Unlock()
		w.notify(Change{Kind: ChangeBotPublished, ID: rec.GetId()})
	}
	if expire {
		w.reopen()
	}
}

func (w *Watched) reopen() {
	now := w.cfg.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextExpiry = time.Time{}
	for id, rec := range w.appRecs {
		if a, err := w.cfg.Sealer.OpenApp(rec, now); err == nil {
			w.apps[id] = a
		}
		w.noteExpiry(unexpired(rec.GetRetiringSecrets(), now))
	}
	for id, rec := range w.instRecs {
		if in, err := w.cfg.Sealer.OpenInstance(rec, now); err == nil {
			w.insts[id] = in
		}
		w.noteExpiry(unexpired(rec.GetSigningSecrets(), now))
	}
}

// unexpired lists the secrets whose deadline is after now.
func unexpired(ss []*registryv1.SealedSecret, now time.Time) []*registryv1.SealedSecret {
	var out []*registryv1.SealedSecret
	for _, s := range ss {
		if s.GetUntil() != nil && !Expired(s, now) {
			out = append(out, s)
		}
	}
	return out
}

func (w *Watched) notify(ch Change) {
	w.subMu.Lock()
	subs := slices.Clone(w.subs)
	w.subMu.Unlock()
	for _, fn := range subs {
		fn(ch)
	}
}

// Subscribe calls fn after each applied change, on the watch goroutine: fn
// must return quickly (hand work to another goroutine) and must not call
// Close.
func (w *Watched) Subscribe(fn func(Change)) {
	w.subMu.Lock()
	w.subs = append(w.subs, fn)
	w.subMu.Unlock()
}

// Revision is the last bucket revision applied.
func (w *Watched) Revision() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.rev
}

// WaitRevision blocks until the view has applied revision rev (a write's
// revision), for read-your-writes.
func (w *Watched) WaitRevision(ctx context.Context, rev uint64) error {
	for {
		w.mu.RLock()
		cur, ch := w.rev, w.changed
		w.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("registry at revision %d, waiting for %d: %w", cur, rev, ctx.Err())
		}
	}
}

// App returns the app with the client id.
func (w *Watched) App(clientID string) (App, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	a, ok := w.apps[clientID]
	return a, ok
}

// Bot returns a bot with a loaded published definition.
func (w *Watched) Bot(id string) (Bot, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	b, ok := w.bots[id]
	if !ok || b.def == nil {
		return Bot{}, false
	}
	return Bot{ID: id, Name: b.rec.Name, Path: b.def.Path}, true
}

// BotDefinition returns the loaded published definition of a bot.
func (w *Watched) BotDefinition(id string) (BotDefinition, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	b, ok := w.bots[id]
	if !ok || b.def == nil {
		return BotDefinition{}, false
	}
	return *b.def, true
}

// Instance returns a bot's instance ("" for the first one).
func (w *Watched) Instance(botID, instanceID string) (Instance, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	in, ok := w.insts[botID+"/"+instanceID]
	return in, ok
}

// Bots lists the bots with a published definition, by id.
func (w *Watched) Bots() []Bot {
	w.mu.RLock()
	out := make([]Bot, 0, len(w.bots))
	for id, b := range w.bots {
		if b.def != nil {
			out = append(out, Bot{ID: id, Name: b.rec.Name, Path: b.def.Path})
		}
	}
	w.mu.RUnlock()
	slices.SortFunc(out, func(a, b Bot) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Instances lists the instances by bot and instance id.
func (w *Watched) Instances() []Instance {
	w.mu.RLock()
	out := make([]Instance, 0, len(w.insts))
	for _, in := range w.insts {
		out = append(out, in)
	}
	w.mu.RUnlock()
	slices.SortFunc(out, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.BotID, b.BotID), cmp.Compare(a.InstanceID, b.InstanceID))
	})
	return out
}
