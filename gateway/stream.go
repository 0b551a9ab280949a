package gateway

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// flushWriter flushes after every write, so each SSE event (or any chunk
// the provider sent) reaches the client as soon as it arrives.
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyStream copies the provider's answer to the client as it arrives and
// hands the same bytes to meter. complete is false when either side broke
// off; ttfb is when the first byte went out.
func copyStream(dst io.Writer, src io.Reader, meter io.Writer, start time.Time, now func() time.Time) (complete bool, ttfb time.Duration) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if ttfb == 0 {
				ttfb = now().Sub(start)
			}
			meter.Write(buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return false, ttfb
			}
		}
		if rerr == io.EOF {
			return true, ttfb
		}
		if rerr != nil {
			return false, ttfb
		}
	}
}
