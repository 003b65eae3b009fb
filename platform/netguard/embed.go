package netguard

import "net/netip"

// IPv6 prefixes whose addresses carry an IPv4 address that the network
// delivers to: a NAT64 gateway translates to it, a 6to4 relay or a Teredo
// client tunnels to it, a dual-stack host treats an IPv4-compatible address
// as it. Checking only the IPv6 form would let such an address reach the
// metadata service or a private network.
var (
	ipv4Compatible = netip.MustParsePrefix("::/96")          // RFC 4291 §2.5.5.1, deprecated
	wellKnownNAT64 = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052
	localNAT64     = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215
	sixToFour      = netip.MustParsePrefix("2002::/16")      // RFC 3056
	teredo         = netip.MustParsePrefix("2001::/32")      // RFC 4380
)

// embeddedIPv4 returns the IPv4 address a carries and the form it is in, or
// false when a embeds none (the local-use NAT64 prefix is handled apart, in
// checkLocalNAT64).
func embeddedIPv4(a netip.Addr) (netip.Addr, string, bool) {
	if !a.Is6() {
		return netip.Addr{}, "", false
	}
	b := a.As16()
	last4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case wellKnownNAT64.Contains(a):
		return last4, "NAT64", true
	case ipv4Compatible.Contains(a) && !a.IsUnspecified() && !a.IsLoopback():
		// :: and ::1 are IPv6's own; every other ::a.b.c.d is the
		// IPv4-compatible form.
		return last4, "IPv4-compatible", true
	case sixToFour.Contains(a):
		// 2002:AABB:CCDD::/48 is the site behind the 6to4 router at
		// AA.BB.CC.DD.
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4", true
	case teredo.Contains(a):
		// The last 32 bits are the client's IPv4 address, inverted.
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	}
	return netip.Addr{}, "", false
}

// checkLocalNAT64 judges an address in 64:ff9b:1::/48, the prefix an
// operator carves its own NAT64 networks from: it is an internal translator,
// so refused unless private targets are allowed, and even then refused when
// any place RFC 6052 allows for the IPv4 address (after a /48, /56, /64 or
// /96 prefix; bits 64-71 are skipped) holds a cloud metadata address.
func (g Guard) checkLocalNAT64(a netip.Addr) string {
	b := a.As16()
	for _, at := range [][4]int{{6, 7, 9, 10}, {7, 9, 10, 11}, {9, 10, 11, 12}, {12, 13, 14, 15}} {
		v4 := netip.AddrFrom4([4]byte{b[at[0]], b[at[1]], b[at[2]], b[at[3]]})
		if isMetadata(v4) {
			return "a cloud metadata address (local-use NAT64 of " + v4.String() + ")"
		}
	}
	if g.AllowPrivate {
		return ""
	}
	return "a local-use NAT64 prefix"
}
