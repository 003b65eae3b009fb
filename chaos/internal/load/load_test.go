package load

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/chaos/internal/ledger"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func post(t *testing.T, r *Receiver, id, token, sig, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.URL(), bytes.NewReader([]byte(body)))
	now := time.Now()
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(webhooksig.HeaderID, id)
	req.Header.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if sig == "" {
		sig = webhooksig.Sign(secret, id, now, []byte(body))
	}
	req.Header.Set(webhooksig.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReceiverChecksAndRecords: verified echoes are entered by turn, bad
// tokens and signatures are refused and counted, and a stopped receiver
// refuses connections until it starts again.
func TestReceiverChecksAndRecords(t *testing.T) {
	l := ledger.New()
	port := httptest.NewServer(nil)
	addr := port.Listener.Addr().String()
	port.Close()
	r, err := NewReceiver(addr, "tok", secret, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Stop(); err != nil {
			t.Errorf("stop the receiver: %v", err)
		}
	}()
	echo := `{"to":"u001","text":"echo ` + TurnText("u001", 7) + `"}`
	if got := post(t, r, "m1", "tok", "", echo); got != http.StatusNoContent {
		t.Fatalf("good delivery: %d", got)
	}
	post(t, r, "m2", "tok", "", `{"to":"u001","endOfTask":true}`)
	post(t, r, "m3", "tok", "", `{"to":"u002","text":"echo `+TurnText("u001", 8)+`"}`) // to the wrong user
	if got := post(t, r, "m4", "wrong", "", echo); got != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", got)
	}
	if got := post(t, r, "m5", "tok", "v1,AAAA", echo); got != http.StatusUnauthorized {
		t.Errorf("bad signature: %d", got)
	}
	tally := l.Tally()
	if tally.Delivered != 1 || tally.Deliveries != 3 || tally.RejectedDeliveries != 2 || tally.Unrecognised != 1 {
		t.Fatalf("tally %+v", tally)
	}

	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(r.URL(), "application/json", nil); err == nil {
		t.Fatal("a stopped receiver answered")
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if got := post(t, r, "m6", "tok", "", echo); got != http.StatusNoContent {
		t.Fatalf("after a restart: %d", got)
	}
}

// TestDriverRetriesRefusals: a 503 is retried after its Retry-After with the
// same Idempotency-Key, and every turn of every user is sent in order.
func TestDriverRetriesRefusals(t *testing.T) {
	var calls atomic.Int32
	keys := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	l := ledger.New()
	d := &Driver{
		URL: srv.URL, Rate: 200, Ledger: l, TurnBudget: 10 * time.Second, KeyPrefix: "t", Client: srv.Client(),
		Users: []User{{ID: "u1", Token: "x", Turns: 3}, {ID: "u2", Token: "y", Turns: 2}},
	}
	d.Run(context.Background())
	tally := l.Tally()
	if tally.Sent != 5 || tally.Accepted != 5 || tally.Refused503 != 1 {
		t.Fatalf("tally %+v", tally)
	}
	close(keys)
	first := <-keys
	second := ""
	for k := range keys {
		if k == first {
			second = k
		}
	}
	if second != first {
		t.Errorf("the refused turn (%s) was not sent again with the same key", first)
	}
}
