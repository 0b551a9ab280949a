package tunnel

import (
	"net/http/httputil"
	"sync"
)

// copyBufferSize is the size of ReverseProxy's own copy buffer.
const copyBufferSize = 32 << 10

// CopyBuffers is the httputil.BufferPool of the forwarders (ts-unplug's
// HTTPForwarder, ts-plug's upstream proxy). Without one, ReverseProxy
// allocates and zeroes a fresh 32 KiB buffer for every response body it
// copies: 2% of ts-unplug's CPU in the pinned tunnel benchmark, and most
// of the bytes allocated per small request.
var CopyBuffers httputil.BufferPool = copyBufferPool{}

// copyBuffers holds *[copyBufferSize]byte, a pointer, so that Put does
// not allocate to box a slice.
var copyBuffers = sync.Pool{New: func() any { return new([copyBufferSize]byte) }}

type copyBufferPool struct{}

func (copyBufferPool) Get() []byte { return copyBuffers.Get().(*[copyBufferSize]byte)[:] }

// Put keeps b only if it is one of Get's buffers, whole.
func (copyBufferPool) Put(b []byte) {
	if len(b) == copyBufferSize && cap(b) == copyBufferSize {
		copyBuffers.Put((*[copyBufferSize]byte)(b))
	}
}
