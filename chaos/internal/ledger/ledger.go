// Package ledger keeps the books of one chaos phase: which numbered turns
// the driver sent and the ingress accepted, and which deliveries reached
// the receiver. From them it counts what the suite reports: lost turns,
// duplicates by webhook-id and by content, and order violations.
//
// A turn is identified by its user and its number; each user's numbers
// start at 1 and a user sends turn n+1 only once turn n was accepted (or
// given up), so the numbers of one user's deliveries must rise.
package ledger

import (
	"fmt"
	"slices"
	"sync"
)

// Turn names one numbered turn of one user.
type Turn struct {
	User string
	N    int
}

// Delivery is one POST the receiver verified. Turn is the zero Turn for a
// delivery that names no turn (the end-of-task status message).
type Delivery struct {
	WebhookID string
	Turn      Turn
}

// Ledger is safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	sent     map[Turn]bool
	accepted map[Turn]bool
	answers  map[int]int // HTTP status -> count, retries included
	errors   int         // transport errors, retried
	rejected int         // deliveries refused for a bad token or signature
	strange  []string    // texts that are neither an echo nor empty, the first few
	nStrange int
	ids      map[string]bool
	dupIDs   int
	// firstID is the webhook-id under which each turn first arrived.
	firstID    map[Turn]string
	dupContent int
	highest    map[string]int // user -> highest turn number delivered so far
	outOfOrder int
	lateTurns  []string // the first few turns that arrived out of order
	deliveries int
}

// New returns an empty ledger.
func New() *Ledger {
	return &Ledger{
		sent: map[Turn]bool{}, accepted: map[Turn]bool{}, answers: map[int]int{},
		ids: map[string]bool{}, firstID: map[Turn]string{}, highest: map[string]int{},
	}
}

// Sent records that the driver sent t (at least once).
func (l *Ledger) Sent(t Turn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent[t] = true
}

// Answered records one HTTP answer of the ingress to t; a 2xx accepts it.
func (l *Ledger) Answered(t Turn, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers[status]++
	if status >= 200 && status < 300 {
		l.accepted[t] = true
	}
}

// TransportError records a request that got no HTTP answer.
func (l *Ledger) TransportError() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors++
}

// Rejected records a delivery the receiver refused (token or signature).
func (l *Ledger) Rejected() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rejected++
}

// Unrecognised records a verified delivery whose text echoes no turn (a
// bot failure message, say); the first few texts are kept for the notes.
func (l *Ledger) Unrecognised(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nStrange++
	if len(l.strange) < maxExamples {
		l.strange = append(l.strange, text)
	}
}

// Delivered records a verified delivery. A webhook-id seen before is a
// duplicate of the at-least-once kind (a receiver drops it by id); the same
// turn under a new webhook-id is a duplicate by content, which a receiver
// cannot recognise. Only a turn's first arrival counts for order.
func (l *Ledger) Delivered(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliveries++
	if l.ids[d.WebhookID] {
		l.dupIDs++
		return
	}
	l.ids[d.WebhookID] = true
	if d.Turn == (Turn{}) {
		return
	}
	if _, seen := l.firstID[d.Turn]; seen {
		l.dupContent++
		return
	}
	l.firstID[d.Turn] = d.WebhookID
	if d.Turn.N < l.highest[d.Turn.User] {
		l.outOfOrder++
		if len(l.lateTurns) < maxExamples {
			l.lateTurns = append(l.lateTurns, fmt.Sprintf("%s #%d after #%d", d.Turn.User, d.Turn.N, l.highest[d.Turn.User]))
		}
		return
	}
	l.highest[d.Turn.User] = d.Turn.N
}

// Tally is what a phase reports.
type Tally struct {
	Sent     int `json:"sent"`
	Accepted int `json:"accepted"`
	// Delivered counts distinct turns that arrived, accepted or not.
	Delivered       int `json:"delivered"`
	Lost            int `json:"lost"`
	DupWebhookID    int `json:"dup_webhook_id"`
	DupContent      int `json:"dup_content"`
	OrderViolations int `json:"order_violations"`
	Refused503      int `json:"refused_503"`
	// OtherRefusals counts the other non-2xx answers (409 while an
	// Idempotency-Key is in flight, 429, 5xx), retried.
	OtherRefusals   map[int]int `json:"other_refusals,omitempty"`
	TransportErrors int         `json:"transport_errors"`
	// Unconfirmed turns were never answered 2xx but arrived all the same
	// (the ingress published them, then died before answering).
	Unconfirmed int `json:"unconfirmed"`
	// Abandoned turns were never answered 2xx and never arrived.
	Abandoned int `json:"abandoned"`
	// Deliveries counts every verified POST, the status messages included.
	Deliveries         int `json:"deliveries"`
	RejectedDeliveries int `json:"rejected_deliveries"`
	// Unrecognised counts deliveries whose text echoes no turn;
	// UnrecognisedTexts are the first few.
	Unrecognised      int      `json:"unrecognised"`
	UnrecognisedTexts []string `json:"unrecognised_texts,omitempty"`
	// LostTurns and LateTurns are the first few lost and out-of-order
	// turns, to look up in the services' logs.
	LostTurns []string `json:"lost_turns,omitempty"`
	LateTurns []string `json:"late_turns,omitempty"`
}

// maxExamples bounds the example lists of a tally.
const maxExamples = 10

// Pending is the number of accepted turns not delivered yet.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for t := range l.accepted {
		if _, ok := l.firstID[t]; !ok {
			n++
		}
	}
	return n
}

// SentCount is the number of distinct turns sent so far.
func (l *Ledger) SentCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

// Tally counts what happened so far.
func (l *Ledger) Tally() Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Tally{
		Sent: len(l.sent), Accepted: len(l.accepted), Delivered: len(l.firstID),
		DupWebhookID: l.dupIDs, DupContent: l.dupContent, OrderViolations: l.outOfOrder,
		Refused503: l.answers[503], TransportErrors: l.errors,
		Deliveries: l.deliveries, RejectedDeliveries: l.rejected,
		Unrecognised: l.nStrange, UnrecognisedTexts: append([]string(nil), l.strange...),
		LateTurns: append([]string(nil), l.lateTurns...),
	}
	for status, n := range l.answers {
		if (status < 200 || status >= 300) && status != 503 {
			if t.OtherRefusals == nil {
				t.OtherRefusals = map[int]int{}
			}
			t.OtherRefusals[status] += n
		}
	}
	for turn := range l.accepted {
		if _, ok := l.firstID[turn]; !ok {
			t.Lost++
			t.LostTurns = append(t.LostTurns, fmt.Sprintf("%s #%d", turn.User, turn.N))
		}
	}
	slices.Sort(t.LostTurns)
	if len(t.LostTurns) > maxExamples {
		t.LostTurns = t.LostTurns[:maxExamples]
	}
	for turn := range l.sent {
		if l.accepted[turn] {
			continue
		}
		if _, ok := l.firstID[turn]; ok {
			t.Unconfirmed++
		} else {
			t.Abandoned++
		}
	}
	return t
}
