package botdef_test

import (
	"testing"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func TestLoadBanking(t *testing.T) {
	b, err := botdef.Load("../../../examples/bots/banking")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Tasks) != 5 || len(b.Forms) != 1 {
		t.Fatalf("tasks %d forms %d", len(b.Tasks), len(b.Forms))
	}
}
