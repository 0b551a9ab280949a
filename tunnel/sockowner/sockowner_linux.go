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

func lookup(c Conn) (Socket, error) {
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
			s, found, err := findInFile(path, cand)
			if err != nil {
				return Socket{}, err
			}
			if found {
				return s, nil
			}
		}
	}
	return Socket{}, ErrNotFound
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func findInFile(path string, c Conn) (Socket, bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return Socket{}, false, nil // no IPv6 in this kernel
	}
	if err != nil {
		return Socket{}, false, err
	}
	defer f.Close()
	return findInTable(f, c, binary.NativeEndian)
}
