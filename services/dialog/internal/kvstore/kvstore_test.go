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
	cfg := srv.Config(t)
	conn := bustest.Connect(t, cfg)
	store, err := Open(t.Context(), conn.JS, cfg.Name("sessions"), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	storetest.Run(t, store, func() string { n++; return fmt.Sprintf("conv%d", n) })
}
