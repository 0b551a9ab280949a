package gateway

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
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

// copyBufs and smallCopyBufs recycle copyStream's buffers: 32 KiB for a
// stream or a large answer, 4 KiB for an answer whose length says it
// fits. Every request in flight holds one, so at 50 at once 32 KiB each
// was 1.6 MB of a gateway's live heap (doubled in RSS by the GC's
// headroom) for JSON answers of a few hundred bytes (issue #16).
var (
	copyBufs      = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	smallCopyBufs = sync.Pool{New: func() any { b := make([]byte, smallCopy); return &b }}
)

// smallCopy is the size of the small copy buffers.
const smallCopy = 4 << 10

// copyBuffer returns a buffer for an answer of length n (-1: unknown, as
// for a stream) and the pool it goes back to.
func copyBuffer(n int64) (*[]byte, *sync.Pool) {
	if n >= 0 && n < smallCopy {
		return smallCopyBufs.Get().(*[]byte), &smallCopyBufs
	}
	return copyBufs.Get().(*[]byte), &copyBufs
}

// streamCut ends a stream whose quota can no longer pay for it, at an
// event boundary and in its API's own format (apis.StreamError). The
// meter (a usage.Extractor with its budget set) finds where.
type streamCut struct {
	h    *hold
	ext  *usage.Extractor
	api  config.API
	done bool // the stream was ended
}

// jsonArray reports whether the stream is a JSON array (Gemini's array
// stream) by what the meter read of it, not by its Content-Type.
func (c *streamCut) jsonArray() bool { return c.ext.Format() == usage.FormatJSONArray }

// cutAt returns, for a chunk of n bytes about to be written after written
// bytes (the meter has already read it), how many of its bytes to write
// before the stream ends, or -1 to write it all and go on: the stream ends
// just past the complete event in which output went over what the buckets
// can pay, so at most that event goes out unpaid. When that point was in
// bytes already sent (the event ended in an earlier chunk, seen late), it
// ends at the next event boundary instead.
func (c *streamCut) cutAt(written int64, n int) int {
	at, ok := c.ext.StopAt()
	if !ok {
		return -1
	}
	if at < written {
		at = c.ext.EventEnd()
	}
	if at < written || at > written+int64(n) || (c.jsonArray() && at == 0) {
		return -1
	}
	return int(at - written)
}

// streamEnd says how copyStream ended.
type streamEnd uint8

const (
	endComplete      streamEnd = iota // the provider's answer was read to its end
	endClientGone                     // writing to the client failed
	endUpstreamBroke                  // reading the provider's answer failed
	endCut                            // cut ended the stream (a spending limit)
)

// copied is what copyStream did.
type copied struct {
	end     streamEnd
	written int64         // bytes of the provider's answer passed to the client
	last    byte          // the last of them
	err     error         // endUpstreamBroke: the read error
	ttfb    time.Duration // when the first byte went out
}

// errorEvent is apis.StreamError for a stream whose last byte out was
// last. After a lone CR (a CRLF blank line cut between its two bytes,
// which an SSE parser already took for the line's end) it starts with the
// LF: a client splitting lines at LF alone would otherwise read the
// event's first line as "\rdata: …" and drop it.
func errorEvent(last byte, api config.API, jsonArray bool, kind apis.ErrorKind, msg string) []byte {
	ev := apis.StreamError(api, jsonArray, kind, msg)
	if last == '\r' && !jsonArray {
		ev = append([]byte{'\n'}, ev...)
	}
	return ev
}

// complete reports whether the provider's answer went out whole.
func (c copied) complete() bool { return c.end == endComplete }

// copyStream copies the provider's answer to the client as it arrives and
// hands the same bytes to meter. size is the answer's length if known,
// else -1.
func copyStream(dst io.Writer, src io.Reader, size int64, meter io.Writer, start time.Time, now func() time.Time, cut *streamCut) (c copied) {
	bp, pool := copyBuffer(size)
	defer pool.Put(bp)
	buf := *bp
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if c.ttfb == 0 {
				c.ttfb = now().Sub(start)
			}
			meter.Write(buf[:n])
			if cut != nil {
				if k := cut.cutAt(c.written, n); k >= 0 {
					if k > 0 {
						c.last = buf[k-1]
					}
					if _, err := dst.Write(buf[:k]); err == nil {
						dst.Write(errorEvent(c.last, cut.api, cut.jsonArray(), apis.KindQuotaExceeded, cutMessage(cut.h)))
					}
					cut.done = true
					c.end = endCut
					return c
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				c.end = endClientGone
				return c
			}
			c.written += int64(n)
			c.last = buf[n-1]
		}
		if rerr == io.EOF {
			c.end = endComplete
			return c
		}
		if rerr != nil {
			c.end, c.err = endUpstreamBroke, rerr
			return c
		}
	}
}
