package webhooksig

import (
	"container/list"
	"sync"
	"time"
)

// DefaultDedupeWindow covers the dispatcher's default retry budget
// (dispatcher.max_retry_duration, 1 h) with room to spare.
const DefaultDedupeWindow = 2 * time.Hour

// DefaultDedupeCapacity bounds the ids a Deduper remembers when none is
// given.
const DefaultDedupeCapacity = 100_000

// Deduper remembers the webhook-ids a receiver has accepted, for a window,
// so that it can answer a redelivery with 2xx without acting on it again.
// Parley delivers at least once: a POST is repeated when its answer was
// lost, and a dead letter replayed by an operator keeps its webhook-id.
//
// It is in memory and bounded: once it holds capacity ids it forgets the
// oldest, even inside the window. Size it for the ids a receiver accepts
// in a window; a receiver with several replicas, or one that must never act
// twice across restarts or after replays days later, keeps the ids in its
// own store instead (a unique key on webhook-id).
//
//	if d.Seen(r.Header.Get(webhooksig.HeaderID)) {
//		w.WriteHeader(http.StatusOK) // already handled
//		return
//	}
//	if err := handle(body); err != nil {
//		d.Forget(id) // let the retry through
//		w.WriteHeader(http.StatusServiceUnavailable)
//		return
//	}
//
// It is safe for concurrent use.
type Deduper struct {
	window   time.Duration
	capacity int
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu    sync.Mutex
	byID  map[string]*list.Element
	order *list.List // of seenID, oldest first
}

type seenID struct {
	id string
	at time.Time
}

// NewDeduper returns a Deduper remembering ids for window, at most capacity
// of them; zero values take DefaultDedupeWindow and DefaultDedupeCapacity.
func NewDeduper(window time.Duration, capacity int) *Deduper {
	if window <= 0 {
		window = DefaultDedupeWindow
	}
	if capacity <= 0 {
		capacity = DefaultDedupeCapacity
	}
	return &Deduper{window: window, capacity: capacity, byID: map[string]*list.Element{}, order: list.New()}
}

// Seen reports whether id was recorded within the window; if not, it
// records it, so of two concurrent deliveries of one id exactly one gets
// false. An empty id is never seen.
func (d *Deduper) Seen(id string) bool {
	if id == "" {
		return false
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	t := now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(t)
	if _, ok := d.byID[id]; ok {
		return true
	}
	d.byID[id] = d.order.PushBack(seenID{id: id, at: t})
	for d.order.Len() > d.capacity {
		d.remove(d.order.Front())
	}
	return false
}

// Forget drops id, so that its next delivery is accepted: call it when
// handling a message failed after Seen recorded it.
func (d *Deduper) Forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byID[id]; ok {
		d.remove(e)
	}
}

// Len is the number of ids remembered, expired ones included until the
// next Seen.
func (d *Deduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}

// expire drops the ids recorded before the window; they are in order.
func (d *Deduper) expire(now time.Time) {
	for e := d.order.Front(); e != nil && now.Sub(e.Value.(seenID).at) >= d.window; e = d.order.Front() {
		d.remove(e)
	}
}

func (d *Deduper) remove(e *list.Element) {
	delete(d.byID, e.Value.(seenID).id)
	d.order.Remove(e)
}
