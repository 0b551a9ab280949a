package gateway

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// idGen makes request IDs that sort by time: 12 hex digits of unix
// milliseconds, then a per-process random prefix and a counter, so IDs are
// unique across restarts without coordination.
type idGen struct {
	once   sync.Once
	prefix uint32
	n      atomic.Uint64
}

func (g *idGen) next(now time.Time) string {
	g.once.Do(func() {
		var b [4]byte
		rand.Read(b[:])
		g.prefix = binary.BigEndian.Uint32(b[:])
	})
	// fmt.Sprintf("%012x%08x%06x", ...), without fmt's boxing of each
	// number: every request takes an ID.
	var b [26]byte
	putHex(b[0:12], uint64(now.UnixMilli()))
	putHex(b[12:20], uint64(g.prefix))
	putHex(b[20:26], g.n.Add(1)&0xffffff)
	return string(b[:])
}

// putHex writes the low len(b) hex digits of v into b, zero-padded. (A
// millisecond time past 12 digits, in the year 10889, loses its top
// digits where Sprintf's would widen.)
func putHex(b []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
}
