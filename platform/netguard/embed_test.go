package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// Each IPv6 form that carries an IPv4 address, as a function of it.
var embeddings = []struct {
	form  string
	embed func(v4 [4]byte) netip.Addr
}{
	{"IPv4-mapped", func(v [4]byte) netip.Addr {
		return netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: v[0], 13: v[1], 14: v[2], 15: v[3]})
	}},
	{"IPv4-compatible", func(v [4]byte) netip.Addr {
		return netip.AddrFrom16([16]byte{12: v[0], 13: v[1], 14: v[2], 15: v[3]})
	}},
	{"NAT64", func(v [4]byte) netip.Addr {
		return netip.AddrFrom16([16]byte{0: 0x00, 1: 0x64, 2: 0xff, 3: 0x9b, 12: v[0], 13: v[1], 14: v[2], 15: v[3]})
	}},
	{"6to4", func(v [4]byte) netip.Addr {
		return netip.AddrFrom16([16]byte{0: 0x20, 1: 0x02, 2: v[0], 3: v[1], 4: v[2], 5: v[3], 15: 1})
	}},
	{"Teredo", func(v [4]byte) netip.Addr {
		// Server 65.54.227.120, cone flag, obfuscated port 40000; the
		// client's address is stored inverted.
		return netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 4: 0x41, 5: 0x36, 6: 0xe3, 7: 0x78, 8: 0x80,
			10: 0x63, 11: 0xbf, 12: ^v[0], 13: ^v[1], 14: ^v[2], 15: ^v[3]})
	}},
}

// TestEmbeddedIPv4 checks every embedding of each kind of IPv4 target: the
// IPv6 form is allowed exactly when the IPv4 address itself is.
func TestEmbeddedIPv4(t *testing.T) {
	targets := []struct {
		v4              string
		strict, relaxed bool
	}{
		{"169.254.169.254", false, false}, // cloud metadata
		{"100.100.100.200", false, false}, // Alibaba metadata
		{"100.64.0.1", false, true},       // CGNAT
		{"127.0.0.1", false, true},
		{"10.0.0.1", false, true},
		{"192.168.1.1", false, true},
		{"169.254.10.1", false, true},
		{"224.0.0.1", false, false},
		{"240.0.0.1", false, false},
		{"93.184.216.34", true, true},
	}
	for _, e := range embeddings {
		for _, tc := range targets {
			a := e.embed(netip.MustParseAddr(tc.v4).As4())
			t.Run(e.form+"/"+a.String(), func(t *testing.T) {
				if got := (Guard{}).Check(a); (got == "") != tc.strict {
					t.Errorf("strict Check(%s) = %q, want allowed=%v", a, got, tc.strict)
				}
				if got := (Guard{AllowPrivate: true}).Check(a); (got == "") != tc.relaxed {
					t.Errorf("relaxed Check(%s) = %q, want allowed=%v", a, got, tc.relaxed)
				}
			})
		}
	}
}

func TestEmbeddedIPv4Literals(t *testing.T) {
	cases := []struct {
		addr            string
		strict, relaxed bool
		reason          string // part of the strict refusal
	}{
		{"::ffff:169.254.169.254", false, false, "metadata"},
		{"::ffff:100.64.0.1", false, true, "CGNAT"},
		{"::ffff:a9fe:a9fe", false, false, "metadata"},
		{"::169.254.169.254", false, false, "IPv4-compatible of 169.254.169.254"},
		{"::100.64.0.1", false, true, "IPv4-compatible of 100.64.0.1"},
		{"::1", false, true, "loopback"}, // IPv6's own loopback, not ::0.0.0.1
		{"::", false, false, "unspecified"},
		{"64:ff9b::169.254.169.254", false, false, "NAT64 of 169.254.169.254"},
		{"64:ff9b::100.64.0.1", false, true, "NAT64 of 100.64.0.1"},
		{"64:ff9b::8.8.8.8", true, true, ""},
		{"2002:a9fe:a9fe::1", false, false, "6to4 of 169.254.169.254"},
		{"2002:a00:1::1", false, true, "6to4 of 10.0.0.1"},
		{"2002:808:808::1", true, true, ""},
		{"2001:0:4136:e378:8000:63bf:5601:5601", false, false, "Teredo of 169.254.169.254"},
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", false, true, "Teredo of 10.0.0.1"},
		// RFC 8215's local-use NAT64 prefix: an internal translator, with
		// the IPv4 address after a /48, /56, /64 or /96 prefix.
		{"64:ff9b:1::808:808", false, true, "local-use NAT64"},
		{"64:ff9b:1::a9fe:a9fe", false, false, "metadata"},
		{"64:ff9b:1:a9fe:a9:fe00::", false, false, "metadata"}, // /48
		{"64:ff9b:1:ffa9:fe:a9fe::", false, false, "metadata"}, // /56
		{"64:ff9b:1:ffff:a9:fea9:fe00:0", false, false, "metadata"},
		// A zone picks the interface; the host is the same.
		{"64:ff9b::a9fe:a9fe%eth0", false, false, "metadata"},
		{"fe80::1%eth0", false, true, "link-local"},
		{"fec0::1", false, true, "site-local"},
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		got := (Guard{}).Check(a)
		if (got == "") != tc.strict || !strings.Contains(got, tc.reason) {
			t.Errorf("strict Check(%s) = %q, want allowed=%v mentioning %q", tc.addr, got, tc.strict, tc.reason)
		}
		if got := (Guard{AllowPrivate: true}).Check(a); (got == "") != tc.relaxed {
			t.Errorf("relaxed Check(%s) = %q, want allowed=%v", tc.addr, got, tc.relaxed)
		}
	}
}

// TestControlThroughEmbeddings: the dialer hook refuses the metadata
// address in every form without dialling it (a nil RawConn: Control runs
// before the connect).
func TestControlThroughEmbeddings(t *testing.T) {
	for _, e := range embeddings {
		a := e.embed([4]byte{169, 254, 169, 254})
		addr := netip.AddrPortFrom(a, 80).String()
		for _, g := range []Guard{{}, {AllowPrivate: true}} {
			if err := g.Control(t.Context(), "tcp6", addr, nil); !errors.Is(err, ErrRefused) {
				t.Errorf("%s: Control(%s, AllowPrivate=%v) = %v, want a refusal", e.form, addr, g.AllowPrivate, err)
			}
		}
	}
}

// TestDialLoopback dials a real listener, on loopback only: a strict guard
// refuses it in its IPv4 and IPv4-mapped spellings, a relaxed one connects.
func TestDialLoopback(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dial := func(g Guard, host string) error {
		d := net.Dialer{ControlContext: g.Control}
		c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, host := range []string{"127.0.0.1", "::ffff:127.0.0.1"} {
		if err := dial(Guard{}, host); !errors.Is(err, ErrRefused) {
			t.Errorf("strict dial of %s: %v, want a refusal", host, err)
		}
		if err := dial(Guard{AllowPrivate: true}, host); err != nil {
			t.Errorf("relaxed dial of %s: %v", host, err)
		}
	}
}
