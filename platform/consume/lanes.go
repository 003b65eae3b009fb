package consume

import (
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Lanes runs the messages of one key strictly in the order they were
// dispatched, and the messages of different keys in parallel: one goroutine
// per busy key, gone once its queue is empty.
type Lanes struct {
	keyOf func(jetstream.Msg) string
	// run handles one message; false stops the lane, leaving its queued
	// messages unhandled.
	run func(jetstream.Msg) bool

	mu      sync.Mutex
	lanes   map[string]*lane
	running sync.WaitGroup
}

type lane struct {
	queue []jetstream.Msg
}

// NewLanes returns lanes keyed by keyOf that handle each message with run;
// run returning false abandons the rest of that lane's queue (the consumer
// is giving the messages up, and JetStream delivers them again).
func NewLanes(keyOf func(jetstream.Msg) string, run func(jetstream.Msg) bool) *Lanes {
	return &Lanes{keyOf: keyOf, run: run, lanes: map[string]*lane{}}
}

// Dispatch queues msg on its key's lane. Called in delivery order, it keeps
// that order within each key.
func (l *Lanes) Dispatch(msg jetstream.Msg) {
	key := l.keyOf(msg)
	l.mu.Lock()
	ln, busy := l.lanes[key]
	if !busy {
		ln = &lane{}
		l.lanes[key] = ln
		l.running.Add(1)
	}
	ln.queue = append(ln.queue, msg)
	l.mu.Unlock()
	if !busy {
		go l.drive(key, ln)
	}
}

// Wait blocks until every lane has emptied or stopped.
func (l *Lanes) Wait() { l.running.Wait() }

func (l *Lanes) drive(key string, ln *lane) {
	defer l.running.Done()
	for {
		l.mu.Lock()
		if len(ln.queue) == 0 {
			delete(l.lanes, key)
			l.mu.Unlock()
			return
		}
		msg := ln.queue[0]
		ln.queue = ln.queue[1:]
		l.mu.Unlock()
		if !l.run(msg) {
			l.mu.Lock()
			delete(l.lanes, key)
			l.mu.Unlock()
			return
		}
	}
}
