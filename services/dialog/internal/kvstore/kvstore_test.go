package kvstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/bustest"
	"github.com/parleyhq/parley/services/dialog/internal/storetest"
)

func TestConformance(t *testing.T) {
	srv := bustest.RunJetStream(t)
	conn := bustest.Connect(t, srv.Config(t))
	store, err := Open(t.Context(), conn.JS, "sessions", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	storetest.Run(t, store, func() string { n++; return fmt.Sprintf("conv%d", n) })
}
