// Package devserver holds the small HTTP servers for trying Parley on one
// machine: the bank API of the banking sample bot (`parley fakebank`) and a
// POST_URL for asynchronous channels (`parley receiver`).
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// serveUntilSignal serves h on addr until SIGINT or SIGTERM; name prefixes
// messages.
func serveUntilSignal(name, addr string, h http.Handler, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		// ctx is done: the shutdown gets its own deadline.
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(stdout, "%s listening on http://%s\n", name, addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "parley %s: %v\n", name, err)
		return 1
	}
	return 0
}
