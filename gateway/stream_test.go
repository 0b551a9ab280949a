package gateway

import (
	"bytes"
	"testing"
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
	complete, _ := copyStream(&out, bytes.NewReader(body), 300, &meter, time.Now(), time.Now, nil)
	if !complete || !bytes.Equal(out.Bytes(), body) || !bytes.Equal(meter.Bytes(), body) {
		t.Errorf("copied %d of %d bytes (metered %d), complete %v", out.Len(), len(body), meter.Len(), complete)
	}
}
