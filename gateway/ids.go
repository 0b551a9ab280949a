package gateway

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
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
	return fmt.Sprintf("%012x%08x%06x", now.UnixMilli(), g.prefix, g.n.Add(1)&0xffffff)
}
