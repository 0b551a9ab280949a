package tunnel

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"tailscale.com/net/tsaddr"
)

// DialAuto dials addr over the tailnet when its host is on the tailnet (a
// Tailscale IP, a *.ts.net or MagicDNS name, or a short name MagicDNS
// resolves to a device, such as "llm") and through the OS network
// otherwise. The gateway uses it to reach providers: public APIs by the OS
// network, self-hosted models plugged into the tailnet (ts-plug) by name.
func (n *Node) DialAuto(ctx context.Context, network, addr string) (net.Conn, error) {
	if n.onTailnet(ctx, network, addr) {
		return n.srv.Dial(ctx, network, addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// onTailnet decides where addr is dialed.
func (n *Node) onTailnet(ctx context.Context, network, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	switch tailnetHostKind(host, n.State().MagicDNSSuffix) {
	case hostTailnet:
		return true
	case hostOS:
		return false
	}
	// A short name: a tailnet device if MagicDNS knows it.
	sys := n.srv.Sys()
	if sys == nil {
		return false
	}
	d, ok := sys.Dialer.GetOK()
	if !ok {
		return false
	}
	_, via, err := d.UserDialPlan(ctx, network, addr)
	return err == nil && via
}

type hostKind int

const (
	hostOS      hostKind = iota // surely not a tailnet host
	hostTailnet                 // surely a tailnet host
	hostShort                   // a short name: ask MagicDNS
)

// tailnetHostKind classifies host without any lookup. suffix is the
// tailnet's MagicDNS suffix, if known.
func tailnetHostKind(host, suffix string) hostKind {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if tsaddr.IsTailscaleIP(ip.Unmap()) {
			return hostTailnet
		}
		return hostOS
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	suffix = strings.ToLower(strings.Trim(suffix, "."))
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return hostOS
	case strings.HasSuffix(h, ".ts.net"):
		return hostTailnet
	case suffix != "" && strings.HasSuffix(h, "."+suffix):
		return hostTailnet
	case !strings.Contains(h, "."):
		return hostShort
	}
	return hostOS
}
