package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is the whole run, as -json prints it.
type Report struct {
	Options    Options   `json:"options"`
	Started    time.Time `json:"started"`
	Seconds    float64   `json:"seconds"`
	NATSServer string    `json:"nats_server"`
	Redis      string    `json:"redis"`
	Sentinel   bool      `json:"sentinel"`
	Rows       []Row     `json:"rows"`
}

// WriteTable prints the report as a Markdown table, one row per fault.
func (r Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\n%d turns from %d users at %g/s per fault; %s; %s; %.0fs in all\n\n",
		r.Options.Turns, r.Options.Users, r.Options.Rate, r.NATSServer, r.Redis, r.Seconds)
	fmt.Fprintln(w, "| fault | sent | accepted | delivered | lost | dup(webhook-id) | dup(content) | order violations | refused(503) | notes |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n",
			row.Title, row.Sent, row.Accepted, row.Delivered, row.Lost, row.DupWebhookID,
			row.DupContent, row.OrderViolations, row.Refused503, strings.Join(row.allNotes(), "; "))
	}
	fmt.Fprintln(w)
}

// allNotes are the row's notes with the counts the table has no column
// for.
func (row Row) allNotes() []string {
	var notes []string
	if row.Error != "" {
		notes = append(notes, "ERROR: "+row.Error)
	}
	notes = append(notes, row.Notes...)
	if row.TransportErrors > 0 {
		notes = append(notes, fmt.Sprintf("%d requests without an answer, retried", row.TransportErrors))
	}
	if len(row.OtherRefusals) > 0 {
		var codes []int
		for c := range row.OtherRefusals {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		var parts []string
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%d×%d", row.OtherRefusals[c], c))
		}
		notes = append(notes, "other answers: "+strings.Join(parts, ", "))
	}
	if row.Unconfirmed > 0 {
		notes = append(notes, fmt.Sprintf("%d turns never answered 2xx but delivered", row.Unconfirmed))
	}
	if row.Abandoned > 0 {
		notes = append(notes, fmt.Sprintf("%d turns given up by the client (never 2xx, never delivered)", row.Abandoned))
	}
	if row.RejectedDeliveries > 0 {
		notes = append(notes, fmt.Sprintf("%d deliveries failed token, signature or JSON checks", row.RejectedDeliveries))
	}
	if row.Unrecognised > 0 {
		notes = append(notes, fmt.Sprintf("%d deliveries echo no turn, e.g. %q", row.Unrecognised, row.UnrecognisedTexts))
	}
	if len(row.LostTurns) > 0 {
		notes = append(notes, "lost: "+strings.Join(row.LostTurns, ", "))
	}
	if len(row.LateTurns) > 0 {
		notes = append(notes, "out of order: "+strings.Join(row.LateTurns, ", "))
	}
	for i, n := range notes {
		notes[i] = strings.ReplaceAll(n, "|", "/")
	}
	return notes
}
