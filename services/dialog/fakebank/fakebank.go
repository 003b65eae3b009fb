// Package fakebank is a tiny in-memory bank API for the banking sample bot
// and its conversation tests: transfers and balances, deterministic, no
// persistence.
//
//	POST /transfers              {"from","to","amount","currency"}
//	  200 {"status":"completed","reference":"TX-000001","amount":..,"currency":..}
//	  200 {"status":"rejected","reason":"insufficient funds"} when the source lacks the money
//	  503 {"error":"maintenance"} when amount is 13 (to exercise failure paths)
//	GET  /accounts/{account}/balance  {"account","balance","currency"}
//	GET  /healthz
package fakebank

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Bank is the fake bank's state.
type Bank struct {
	mu       sync.Mutex
	balances map[string]float64
	seq      int
}

// New returns a bank with the sample balances.
func New() *Bank {
	return &Bank{balances: map[string]float64{"savings": 12500, "salary": 45000, "current": 3200}}
}

// Handler returns the HTTP API of a new bank.
func Handler() http.Handler { return New().Handler() }

// Handler returns the bank's HTTP API.
func (b *Bank) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]any{"ok": true}) })
	mux.HandleFunc("POST /transfers", b.transfer)
	mux.HandleFunc("GET /accounts/{account}/balance", b.balance)
	return mux
}

type transferReq struct {
	From     string          `json:"from"`
	To       string          `json:"to"`
	Amount   json.RawMessage `json:"amount"`
	Currency string          `json:"currency"`
}

func (b *Bank) transfer(w http.ResponseWriter, r *http.Request) {
	var req transferReq
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]any{"error": "invalid JSON: " + err.Error()})
		return
	}
	amount, err := strconv.ParseFloat(strings.Trim(string(req.Amount), `"`), 64)
	if err != nil || amount <= 0 {
		writeJSON(w, 400, map[string]any{"error": "amount must be a positive number"})
		return
	}
	if amount == 13 {
		writeJSON(w, 503, map[string]any{"error": "maintenance"})
		return
	}
	from := strings.ToLower(req.From)
	b.mu.Lock()
	defer b.mu.Unlock()
	bal, ok := b.balances[from]
	if !ok {
		writeJSON(w, 200, map[string]any{"status": "rejected", "reason": "unknown account " + req.From})
		return
	}
	if bal < amount {
		writeJSON(w, 200, map[string]any{"status": "rejected", "reason": "insufficient funds"})
		return
	}
	b.balances[from] = bal - amount
	b.seq++
	cur := req.Currency
	if cur == "" {
		cur = "USD"
	}
	writeJSON(w, 200, map[string]any{
		"status": "completed", "reference": fmt.Sprintf("TX-%06d", b.seq), "amount": amount, "currency": cur,
		"to": req.To, "from": req.From,
	})
}

func (b *Bank) balance(w http.ResponseWriter, r *http.Request) {
	acct := r.PathValue("account")
	b.mu.Lock()
	bal, ok := b.balances[strings.ToLower(acct)]
	b.mu.Unlock()
	if !ok {
		writeJSON(w, 404, map[string]any{"error": "no account " + acct})
		return
	}
	writeJSON(w, 200, map[string]any{"account": acct, "balance": bal, "currency": "USD"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
