package devserver

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/parleyhq/parley/services/dispatcher/webhooksig"
)

// Receiver is `parley receiver`, a small POST_URL for trying asynchronous
// channels: it prints every delivery, checks the bearer token and the
// Standard Webhooks signature, and counts a repeated webhook-id as a
// duplicate, as a real receiver should.
func Receiver(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parley receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8099", "address to serve on")
	secrets := fs.String("secret", "", "signing secret(s) to verify with, comma-separated (whsec_...)")
	token := fs.String("token", "", "access token the deliveries must carry")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var verifier *webhooksig.Verifier
	if *secrets != "" {
		v, err := webhooksig.NewVerifier(strings.Split(*secrets, ",")...)
		if err != nil {
			fmt.Fprintf(stderr, "parley receiver: -secret: %v\n", err)
			return 2
		}
		verifier = v
	}
	return serveUntilSignal("receiver", *listen, receiverHandler(*token, verifier, stdout), stdout, stderr)
}

// receiverHandler prints each delivery to stdout; it refuses a wrong token
// (when token is set) or signature (when verifier is set).
func receiverHandler(token string, verifier *webhooksig.Verifier, stdout io.Writer) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			fmt.Fprintln(stdout, "! refused: wrong or missing bearer token")
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		if verifier != nil {
			if err := verifier.Verify(r.Header, body); err != nil {
				fmt.Fprintf(stdout, "! refused: %v\n", err)
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
		}
		id := r.Header.Get(webhooksig.HeaderID)
		mu.Lock()
		dup := seen[id]
		seen[id] = true
		mu.Unlock()
		note := ""
		if dup {
			note = " (duplicate, ignored)"
		}
		fmt.Fprintf(stdout, "%s %s%s\n", id, strings.TrimSpace(string(body)), note)
		w.WriteHeader(http.StatusNoContent)
	})
}
