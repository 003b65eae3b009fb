// Package netguard refuses outbound connections to addresses a tenant's
// configuration must not reach (server-side request forgery): it runs as a
// net.Dialer ControlContext, after DNS, on the concrete address about to be
// connected, so a name that resolves (or re-resolves) to a private address
// is caught, and it fails closed. The dispatcher's POST_URL client and the
// dialog's Service nodes share it.
//
// An IPv6 address that carries an IPv4 address the network will deliver to
// (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) is judged by that IPv4
// address, so ::ffff:169.254.169.254 or 64:ff9b::a9fe:a9fe is the metadata
// service, not a public IPv6 host (embed.go).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// ErrRefused is wrapped by every refusal.
var ErrRefused = errors.New("destination address not allowed")

// Guard decides which addresses may be dialled.
type Guard struct {
	// AllowPrivate lets connections reach loopback, private, link-local and
	// shared (CGNAT) addresses (local development, an API inside the
	// cluster). Cloud metadata, unspecified, multicast and reserved
	// addresses stay refused.
	AllowPrivate bool
}

var (
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	reserved = netip.MustParsePrefix("240.0.0.0/4")
	metadata = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	}
	// Not private in net/netip's sense, but never a public service.
	nonPublic = []struct {
		prefix netip.Prefix
		what   string
	}{
		{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
		{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
		{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking network"},
		{netip.MustParsePrefix("fec0::/10"), "site-local"},
	}
)

// Control is a net.Dialer ControlContext.
func (g Guard) Control(_ context.Context, _ string, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrRefused, address)
	}
	if reason := g.Check(ap.Addr()); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, ap.Addr(), reason)
	}
	return nil
}

// Check returns why a is refused, or "" if it may be dialled.
func (g Guard) Check(a netip.Addr) string {
	// A zone (fe80::1%eth0) picks the interface, not the host; netip's
	// prefixes never contain a zoned address, so it must go first.
	a = a.Unmap().WithZone("")
	if localNAT64.Contains(a) {
		return g.checkLocalNAT64(a)
	}
	if v4, form, ok := embeddedIPv4(a); ok {
		if reason := g.checkPlain(v4); reason != "" {
			return fmt.Sprintf("%s (%s of %s)", reason, form, v4)
		}
		return ""
	}
	return g.checkPlain(a)
}

// checkPlain judges an address that embeds no other.
func (g Guard) checkPlain(a netip.Addr) string {
	if isMetadata(a) {
		return "a cloud metadata address"
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified() || thisNet.Contains(a):
		return "unspecified"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast():
		return "multicast"
	case a.Is4() && (reserved.Contains(a) || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
		return "reserved"
	}
	if g.AllowPrivate {
		return ""
	}
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	}
	for _, n := range nonPublic {
		if n.prefix.Contains(a) {
			return n.what
		}
	}
	return ""
}

func isMetadata(a netip.Addr) bool {
	for _, m := range metadata {
		if a == m {
			return true
		}
	}
	return false
}
