package sockowner

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// findInTable scans a /proc/net/tcp or /proc/net/tcp6 table for the
// socket whose local address is c.Remote and remote address c.Local:
// the peer's half of the connection. Its uid column is the socket's
// owner and its inode column names the socket (as /proc/PID/fd shows it), but only while a file holds the socket (a non-zero inode): once
// the peer has closed it, the kernel lists the leftover (TIME_WAIT, or an
// orphan still sending) with uid 0 and inode 0, and reading that as an
// owner would name root for any client quick enough to close before its
// request is read. Such a connection has no owner: not found.
//
// Each line is "sl local rem st tx:rx tr:when retrnsmt uid timeout inode
// ...". An address is the raw in-memory bytes of the IP printed as
// 32-bit words in host byte order (so 127.0.0.1 is 0100007F on a
// little-endian machine), a colon, and the port in hex.
func findInTable(r io.Reader, c Conn, order binary.ByteOrder) (s Socket, found bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 64<<10)
	first := true
	for sc.Scan() {
		if first { // the column titles
			first = false
			continue
		}
		f := bytes.Fields(sc.Bytes())
		if len(f) < 10 {
			continue
		}
		local, err := parseAddr(f[1], order)
		if err != nil || local != c.Remote {
			continue
		}
		rem, err := parseAddr(f[2], order)
		if err != nil || rem != c.Local {
			continue
		}
		inode, err := strconv.ParseUint(string(f[9]), 10, 64)
		if err != nil || inode == 0 {
			return Socket{}, false, nil // closed by the peer: no file, no owner
		}
		n, err := strconv.ParseUint(string(f[7]), 10, 32)
		if err != nil {
			return Socket{}, false, fmt.Errorf("bad uid %q", f[7])
		}
		return Socket{UID: uint32(n), Inode: inode}, true, nil
	}
	return Socket{}, false, sc.Err()
}

// parseAddr reads "0100007F:270C" (IPv4) or a 32-hex-digit IPv6 address
// and port, in the table's encoding (see findInTable).
func parseAddr(b []byte, order binary.ByteOrder) (netip.AddrPort, error) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", b)
	}
	hexIP, hexPort := b[:i], b[i+1:]
	port, err := strconv.ParseUint(string(hexPort), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port in %q", b)
	}
	if len(hexIP) != 8 && len(hexIP) != 32 {
		return netip.AddrPort{}, fmt.Errorf("bad address length in %q", b)
	}
	raw := make([]byte, len(hexIP)/2)
	if _, err := hex.Decode(raw, hexIP); err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad address in %q", b)
	}
	// hex.Decode read each 32-bit word big-endian; the kernel printed it
	// in host order, so put each word back as the host stores it.
	for w := 0; w < len(raw); w += 4 {
		order.PutUint32(raw[w:], binary.BigEndian.Uint32(raw[w:]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip, uint16(port)), nil
}
