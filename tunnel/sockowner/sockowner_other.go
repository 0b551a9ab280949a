//go:build !linux

package sockowner

// Supported reports whether Lookup can work on this OS.
const Supported = false

func lookup(Conn) (Socket, error) { return Socket{}, ErrUnsupported }
