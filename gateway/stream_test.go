package gateway

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestCopyBufferFitsTheAnswer: an answer whose length says it is small
// takes a small buffer (every request in flight holds one), anything else
// the large one; a length that lies costs nothing but reads.
func TestCopyBufferFitsTheAnswer(t *testing.T) {
	for _, tt := range []struct {
		size int64
		want int
	}{{0, smallCopy}, {300, smallCopy}, {smallCopy - 1, smallCopy}, {smallCopy, 32 << 10}, {-1, 32 << 10}, {1 << 30, 32 << 10}} {
		bp, pool := copyBuffer(tt.size)
		if len(*bp) != tt.want {
			t.Errorf("buffer for %d bytes: %d, want %d", tt.size, len(*bp), tt.want)
		}
		pool.Put(bp)
	}
	body := bytes.Repeat([]byte("0123456789"), 5000) // 50 KB said to be 300
	var out, meter bytes.Buffer
	cp := copyStream(&out, bytes.NewReader(body), 300, &meter, time.Now(), time.Now, nil)
	if !cp.complete() || cp.written != int64(len(body)) || !bytes.Equal(out.Bytes(), body) || !bytes.Equal(meter.Bytes(), body) {
		t.Errorf("copied %d of %d bytes (metered %d, counted %d), ended %v", out.Len(), len(body), meter.Len(), cp.written, cp.end)
	}
}

// TestCopyStreamSaysHowItEnded: a read error is the provider's break (with
// its error and the bytes that went out before it), a write error the
// client's.
func TestCopyStreamSaysHowItEnded(t *testing.T) {
	broken := errors.New("connection reset")
	for _, tt := range []struct {
		name    string
		src     io.Reader
		dst     io.Writer
		want    streamEnd
		written int64
		err     error
	}{
		{"whole", strings.NewReader("abcdef"), io.Discard, endComplete, 6, nil},
		{"provider broke off", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(broken)), io.Discard, endUpstreamBroke, 3, broken},
		{"client gone", strings.NewReader("abcdef"), failingWriter{}, endClientGone, 0, nil},
	} {
		var meter bytes.Buffer
		cp := copyStream(tt.dst, tt.src, -1, &meter, time.Now(), time.Now, nil)
		if cp.end != tt.want || cp.written != tt.written || cp.err != tt.err {
			t.Errorf("%s: ended %v after %d bytes (%v), want %v after %d (%v)", tt.name, cp.end, cp.written, cp.err, tt.want, tt.written, tt.err)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }
