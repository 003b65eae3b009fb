package memstore

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/services/dialog/internal/storetest"
)

func TestConformance(t *testing.T) {
	n := 0
	storetest.Run(t, New(), func() string { n++; return fmt.Sprintf("conv%d", n) })
}
