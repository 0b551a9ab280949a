package tunnel

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// bytesPerRequest is what forwarding a request through f allocates on
// average, in this process (the front server, f, the upstream and the
// client together).
func bytesPerRequest(t *testing.T, f http.Handler, n int) uint64 {
	t.Helper()
	front := httptest.NewServer(f)
	defer front.Close()
	get := func() {
		res, err := http.Get(front.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	get() // warm the connections
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		get()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

func TestHTTPForwarderReusesCopyBuffers(t *testing.T) {
	body := strings.Repeat("x", 40<<10)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	target := Target{Scheme: "http", Host: "ai", Port: 80}
	pooled := NewHTTPForwarder(target, NewTransport(loopbackDial(u.Host), Timeouts{}))
	unpooled := NewHTTPForwarder(target, NewTransport(loopbackDial(u.Host), Timeouts{}))
	unpooled.proxy.BufferPool = nil
	const n = 200
	with, without := bytesPerRequest(t, pooled, n), bytesPerRequest(t, unpooled, n)
	// ReverseProxy's own buffer is 32 KiB per request; the pool (which
	// the race detector drops a quarter of) saves most of it.
	if with+16<<10 > without {
		t.Errorf("forwarding allocates %d bytes per request with the pool, %d without: the pool saves too little", with, without)
	}
}

func TestCopyBuffersKeepsOnlyItsOwn(t *testing.T) {
	b := CopyBuffers.Get()
	if len(b) != copyBufferSize {
		t.Fatalf("Get returned %d bytes, want %d", len(b), copyBufferSize)
	}
	CopyBuffers.Put(b)
	CopyBuffers.Put(b[:100])                              // a short slice is dropped, not converted
	CopyBuffers.Put(make([]byte, copyBufferSize, 64<<10)) // a bigger array is dropped
	if got := CopyBuffers.Get(); len(got) != copyBufferSize {
		t.Errorf("Get after odd Puts returned %d bytes", len(got))
	}
}
