package redisstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/platform/redistest"
	dialogv1 "github.com/parleyhq/parley/proto/gen/go/parley/dialog/v1"
	"github.com/parleyhq/parley/services/dialog/internal/session"
	"github.com/parleyhq/parley/services/dialog/internal/storetest"
)

func TestConformance(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	n := 0
	storetest.Run(t, New(rdb, prefix), func() string { n++; return fmt.Sprintf("conv%d", n) })
}

func TestSaveSetsIdleTTL(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := New(rdb, prefix)
	if _, err := s.Save(t.Context(), "k", session.Record{}, &dialogv1.Session{LastTurnSequence: 1}, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.PTTL(t.Context(), prefix+"sess:{k}").Val()
	if ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("ttl = %v, want about 90s", ttl)
	}
}
