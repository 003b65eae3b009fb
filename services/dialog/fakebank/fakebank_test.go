package fakebank

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTransfer(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, tc := range []struct {
		body       string
		status     int
		wantStatus string
		wantRef    string
	}{
		{`{"from":"Savings","to":"John","amount":"500","currency":"USD"}`, 200, "completed", "TX-000001"},
		{`{"from":"Current","to":"John","amount":5000}`, 200, "rejected", ""},
		{`{"from":"Savings","to":"John","amount":13}`, 503, "", ""},
		{`{"from":"Savings","to":"John","amount":"x"}`, 400, "", ""},
		{`{"from":"Savings","to":"Mary","amount":1}`, 200, "completed", "TX-000002"},
	} {
		resp, err := http.Post(srv.URL+"/transfers", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.wantStatus != "" && out["status"] != tc.wantStatus) || (tc.wantRef != "" && out["reference"] != tc.wantRef) {
			t.Errorf("%s → %d %v", tc.body, resp.StatusCode, out)
		}
	}
	resp, err := http.Get(srv.URL + "/accounts/Savings/balance")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if out["balance"] != 11999.0 {
		t.Fatalf("balance after transfers = %v, want 11999", out["balance"])
	}
}
