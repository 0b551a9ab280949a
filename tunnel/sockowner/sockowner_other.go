//go:build !linux

package sockowner

// Supported reports whether Lookup can work on this OS.
const Supported = false

func lookup(Conn) (uint32, error) { return 0, ErrUnsupported }
