package tunnel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// proxyV2Signature opens every PROXY protocol version 2 header
// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt, 2.2).
var proxyV2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

const (
	proxyV2Command  = 0x21 // version 2, command PROXY (relayed for a client)
	proxyV2TCP4     = 0x11 // AF_INET, SOCK_STREAM
	proxyV2TCP6     = 0x21 // AF_INET6, SOCK_STREAM
	proxyV2AddrLen4 = 4 + 4 + 2 + 2
	proxyV2AddrLen6 = 16 + 16 + 2 + 2
	// proxyV2MaxLen bounds the addresses and TLVs after the fixed 16
	// bytes. tsnet's forwarder sends no TLVs (12 or 36 bytes); the bound
	// leaves room for a few should it ever add some, which are skipped.
	proxyV2MaxLen = 1024
)

// proxyHeader is what a PROXY v2 header says of a relayed TCP connection.
type proxyHeader struct {
	Source, Destination netip.AddrPort
}

var errNotProxyV2 = errors.New("not a PROXY protocol v2 header")

// readProxyHeader reads one PROXY protocol v2 header for a relayed TCP
// connection from r, and not one byte more, so what follows on r is the
// client's own stream. Anything else is an error: version 1 (text), the
// LOCAL command (no client), UDP or Unix sockets, a length too short for
// its addresses or longer than proxyV2MaxLen.
func readProxyHeader(r io.Reader) (proxyHeader, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return proxyHeader{}, fmt.Errorf("reading PROXY header: %w", err)
	}
	if !bytes.Equal(fixed[:12], proxyV2Signature) {
		return proxyHeader{}, errNotProxyV2
	}
	if fixed[12] != proxyV2Command {
		return proxyHeader{}, fmt.Errorf("PROXY v2 header: version/command byte %#x, want %#x (PROXY)", fixed[12], proxyV2Command)
	}
	var addrLen int
	switch fixed[13] {
	case proxyV2TCP4:
		addrLen = proxyV2AddrLen4
	case proxyV2TCP6:
		addrLen = proxyV2AddrLen6
	default:
		return proxyHeader{}, fmt.Errorf("PROXY v2 header: family/protocol byte %#x, want TCP over IPv4 or IPv6", fixed[13])
	}
	n := int(binary.BigEndian.Uint16(fixed[14:]))
	if n < addrLen || n > proxyV2MaxLen {
		return proxyHeader{}, fmt.Errorf("PROXY v2 header: length %d, want %d to %d", n, addrLen, proxyV2MaxLen)
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(r, rest); err != nil {
		return proxyHeader{}, fmt.Errorf("reading PROXY header: %w", err)
	}
	ipLen := (addrLen - 4) / 2
	src, _ := netip.AddrFromSlice(rest[:ipLen])
	dst, _ := netip.AddrFromSlice(rest[ipLen : 2*ipLen])
	ports := rest[2*ipLen:]
	return proxyHeader{
		Source:      netip.AddrPortFrom(src, binary.BigEndian.Uint16(ports[0:])),
		Destination: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(ports[2:])),
	}, nil
}
