package sockowner

import (
	"encoding/binary"
	"net/netip"
	"os"
)

// Supported reports whether Lookup can work on this OS.
const Supported = true

// tables are where Linux lists TCP sockets, IPv4 and IPv6; a test may
// point them elsewhere.
var tables = [2]string{"/proc/net/tcp", "/proc/net/tcp6"}

func lookup(c Conn) (uint32, error) {
	// An IPv4 connection to an IPv6 listener appears as ::ffff:a.b.c.d on
	// the accepting side, but the peer's socket may be an IPv4 one.
	cands := []Conn{c}
	if c.Local.Addr().Is4In6() || c.Remote.Addr().Is4In6() {
		cands = append(cands, Conn{
			Local:  unmap(c.Local),
			Remote: unmap(c.Remote),
		})
	}
	for _, path := range tables {
		for _, cand := range cands {
			uid, found, err := findInFile(path, cand)
			if err != nil {
				return 0, err
			}
			if found {
				return uid, nil
			}
		}
	}
	return 0, ErrNotFound
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func findInFile(path string, c Conn) (uint32, bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, false, nil // no IPv6 in this kernel
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	return findInTable(f, c, binary.NativeEndian)
}
