// Package load is the traffic of a chaos phase: a driver that sends
// numbered turns from many users to the webhook as a careful client would
// (Idempotency-Key, retries that honour Retry-After), and the POST_URL
// receiver that verifies each delivery and enters it in the ledger.
package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/parleyhq/parley/chaos/internal/ledger"
	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// echoText is how the chaos bot answers turn n of a user: "echo <text>",
// where the driver's text is TurnText(user, n).
var echoText = regexp.MustCompile(`^echo (\S+) #(\d+)$`)

// TurnText is what the driver says for turn n of user.
func TurnText(user string, n int) string { return fmt.Sprintf("%s #%d", user, n) }

// Receiver is the channel's POST_URL. It can be taken down (its port
// refuses connections) and brought back on the same address.
type Receiver struct {
	addr     string
	token    string
	verifier *webhooksig.Verifier
	ledger   *ledger.Ledger

	mu  sync.Mutex
	srv *http.Server
}

// NewReceiver prepares a receiver on addr that accepts deliveries carrying
// "Bearer token" and signed with secret.
func NewReceiver(addr, token, secret string, l *ledger.Ledger) (*Receiver, error) {
	v, err := webhooksig.NewVerifier(secret)
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	return &Receiver{addr: addr, token: token, verifier: v, ledger: l}, nil
}

// Start listens; it fails if the receiver is already up.
func (r *Receiver) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		return errors.New("receiver: already up")
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(r.srv)
	return nil
}

// Stop closes the listener and every open connection at once.
func (r *Receiver) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv == nil {
		return nil
	}
	err := r.srv.Close()
	r.srv = nil
	return err
}

// URL is the POST_URL to configure.
func (r *Receiver) URL() string { return "http://" + r.addr + "/replies" }

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if req.Header.Get("Authorization") != "Bearer "+r.token {
		r.ledger.Rejected()
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if err := r.verifier.Verify(req.Header, body); err != nil {
		r.ledger.Rejected()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var msg struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		r.ledger.Rejected()
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	d := ledger.Delivery{WebhookID: req.Header.Get(webhooksig.HeaderID)}
	if m := echoText.FindStringSubmatch(msg.Text); m != nil && m[1] == msg.To {
		n, _ := strconv.Atoi(m[2])
		d.Turn = ledger.Turn{User: m[1], N: n}
	} else if msg.Text != "" {
		r.ledger.Unrecognised(fmt.Sprintf("to %s: %s", msg.To, msg.Text))
	}
	r.ledger.Delivered(d)
	w.WriteHeader(http.StatusNoContent)
}
