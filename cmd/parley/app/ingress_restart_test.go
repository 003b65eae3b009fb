package app

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/polltest"
)

// TestIngressStopUnderLoadAnswersEveryAcceptedTurn stops an ingress replica
// while users send synchronous turns through it: every request it accepted
// gets the bot's answer, and after it stops, requests are refused at the
// connection (never accepted and dropped).
func TestIngressStopUnderLoadAnswersEveryAcceptedTurn(t *testing.T) {
	_, busCfg := newServer(t)
	cfg := testConfig(t, busCfg)
	startProcess(t, cfg, Dialog, Dispatcher)
	front := startProcess(t, cfg, Ingress)
	url := front.base() + "/chatbot/hooks/" + botID

	var answered, refusedAtConnection atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	for u := range 6 {
		wg.Go(func() {
			user := fmt.Sprintf("stopper-%d", u)
			tok := "bearer " + userToken(t, user)
			for i := 0; ; i++ {
				text := []string{"show my balance", "savings"}[i%2]
				body := fmt.Sprintf(`{"message":{"text":%q},"from":{"id":%q}}`, text, user)
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header.Set("Authorization", tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					// Refused, or an idle keep-alive connection closed by
					// the shutdown as the request was sent: not accepted
					// either way (Shutdown waits for requests it read).
					if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
						refusedAtConnection.Add(1)
						return
					}
					t.Errorf("%s: %v", user, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: an accepted turn was answered %d", user, resp.StatusCode)
					return
				}
				answered.Add(1)
			}
		})
	}
	polltest.Until(t, "traffic", 10*time.Second, func() bool { return answered.Load() > 60 })
	front.Stop()
	wg.Wait()
	if refusedAtConnection.Load() != 6 {
		t.Fatalf("%d users saw the stopped ingress refuse their connection, want 6", refusedAtConnection.Load())
	}
}
