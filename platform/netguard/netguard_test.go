package netguard

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		addr            string
		strict, relaxed bool // allowed without / with AllowPrivate
	}{
		{"93.184.216.34", true, true},
		{"8.8.8.8", true, true},
		{"2606:2800:220:1:248:1893:25c8:1946", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"192.168.1.1", false, true},
		{"fd12:3456::1", false, true},
		{"100.64.0.1", false, true},
		{"100.127.255.254", false, true},
		{"100.128.0.1", true, true},
		{"192.0.0.8", false, true},
		{"198.18.0.1", false, true},
		{"169.254.10.1", false, true},
		{"fe80::1", false, true},
		{"169.254.169.254", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"0.1.2.3", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::7f00:1", false, true},     // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false, false}, // NAT64 of the metadata address
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := (Guard{}).Check(a) == ""; got != tc.strict {
			t.Errorf("strict Check(%s) allowed=%v, want %v", tc.addr, got, tc.strict)
		}
		if got := (Guard{AllowPrivate: true}).Check(a) == ""; got != tc.relaxed {
			t.Errorf("relaxed Check(%s) allowed=%v, want %v", tc.addr, got, tc.relaxed)
		}
	}
}

func TestControlFailsClosed(t *testing.T) {
	ctx := context.Background()
	if err := (Guard{}).Control(ctx, "tcp", "not an address", nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("unparsable address: %v", err)
	}
	if err := (Guard{}).Control(ctx, "tcp", "127.0.0.1:80", nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("loopback: %v", err)
	}
	if err := (Guard{}).Control(ctx, "tcp", "[2606:2800:220:1:248:1893:25c8:1946]:443", nil); err != nil {
		t.Fatalf("public: %v", err)
	}
}
