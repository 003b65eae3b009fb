package korewire

import (
	"testing"
	"time"
)

func TestCreatedOn(t *testing.T) {
	at := time.Date(2026, 11, 25, 15, 4, 5, 678e6, time.FixedZone("IST", 5*3600+1800))
	if got := CreatedOn(at); got != "2026-11-25T09:34:05.678Z" {
		t.Errorf("CreatedOn = %s, want UTC with milliseconds", got)
	}
}

func TestSessionClosureDescription(t *testing.T) {
	if SessionClosureDescription(SessionClosureSuccess) != "session closed successfully" ||
		SessionClosureDescription(SessionClosureIgnored) != "Active session doesn't exist" {
		t.Error("descriptions differ from contract §4.4")
	}
}
