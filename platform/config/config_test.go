package config

import (
	"strings"
	"testing"
	"time"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"HOST": "nats.local", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want, err string
	}{
		{in: "url: ${HOST}", want: "url: nats.local"},
		{in: "url: ${MISSING:-fallback}", want: "url: fallback"},
		{in: "url: ${EMPTY:-fallback}", want: "url: fallback"},
		{in: "url: ${EMPTY}", want: "url: "},
		{in: "secret: pa$word", want: "secret: pa$word"},
		{in: "url: ${MISSING}", err: "MISSING"},
		{in: "  # set ${MISSING} to change it\nurl: ${HOST}", want: "  # set ${MISSING} to change it\nurl: nats.local"},
	}
	for _, tc := range tests {
		got, err := ExpandEnv(tc.in, lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ExpandEnv(%q) error = %v, want one naming %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ExpandEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

type sample struct {
	Listen  string        `yaml:"listen"`
	Timeout time.Duration `yaml:"timeout"`
	Nested  struct {
		Count int `yaml:"count"`
	} `yaml:"nested"`
}

func TestDecodeStrict(t *testing.T) {
	var s sample
	if err := Decode([]byte("listen: :8080\ntimeout: 15s\nnested:\n  count: 3\n"), &s); err != nil {
		t.Fatal(err)
	}
	if s.Listen != ":8080" || s.Timeout != 15*time.Second || s.Nested.Count != 3 {
		t.Fatalf("decoded %+v", s)
	}
	for _, bad := range []struct{ doc, want string }{
		{"listen: :8080\nlistne: x\n", "listne"},
		{"nested:\n  cuont: 3\n", "cuont"},
		{"timeout: soon\n", "soon"},
	} {
		err := Decode([]byte(bad.doc), &sample{})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Decode(%q) error = %v, want one naming %q", bad.doc, err, bad.want)
		}
	}
}
