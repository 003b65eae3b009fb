package ledger

import (
	"reflect"
	"testing"
)

func TestTallyCountsEveryKindOfFault(t *testing.T) {
	l := New()
	a1, a2, a3, a4 := Turn{"a", 1}, Turn{"a", 2}, Turn{"a", 3}, Turn{"a", 4}
	b1, b2 := Turn{"b", 1}, Turn{"b", 2}
	for _, turn := range []Turn{a1, a2, a3, a4, b1, b2} {
		l.Sent(turn)
	}
	l.Answered(a1, 503) // refused once, then accepted
	for _, turn := range []Turn{a1, a2, a3, b1} {
		l.Answered(turn, 200)
	}
	l.Answered(a4, 409)
	l.TransportError() // b2 never got an answer
	l.Delivered(Delivery{"m1", a1})
	l.Delivered(Delivery{"m1", a1}) // redelivered: same webhook-id
	l.Delivered(Delivery{"s1", Turn{}})
	l.Delivered(Delivery{"m3", a3})
	l.Delivered(Delivery{"m2", a2})  // after a3: out of order
	l.Delivered(Delivery{"m2b", a2}) // the same turn again, new id
	l.Delivered(Delivery{"m5", b2})  // never confirmed, but it arrived
	l.Rejected()
	l.Unrecognised("Sorry something went wrong")
	// b1 accepted and never delivered: lost. a4 never accepted: abandoned.

	got := l.Tally()
	want := Tally{
		Sent: 6, Accepted: 4, Delivered: 4, Lost: 1,
		DupWebhookID: 1, DupContent: 1, OrderViolations: 1,
		Refused503: 1, OtherRefusals: map[int]int{409: 1}, TransportErrors: 1,
		Unconfirmed: 1, Abandoned: 1, Deliveries: 7, RejectedDeliveries: 1,
		Unrecognised: 1, UnrecognisedTexts: []string{"Sorry something went wrong"},
		LostTurns: []string{"b #1"}, LateTurns: []string{"a #2 after #3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tally\n got %+v\nwant %+v", got, want)
	}
	if p := l.Pending(); p != 1 {
		t.Errorf("pending = %d, want 1 (b1)", p)
	}
}

func TestInOrderDeliveriesAreClean(t *testing.T) {
	l := New()
	for n := 1; n <= 5; n++ {
		turn := Turn{"u", n}
		l.Sent(turn)
		l.Answered(turn, 200)
		l.Delivered(Delivery{WebhookID: string(rune('a' + n)), Turn: turn})
	}
	got := l.Tally()
	if got.Lost != 0 || got.OrderViolations != 0 || got.DupContent != 0 || got.DupWebhookID != 0 || got.Delivered != 5 {
		t.Fatalf("clean run tallied %+v", got)
	}
}
