package ledger

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEnqueue is the enqueue alone: building the row's values
// and handing them to the writer, without waiting for the transaction.
func BenchmarkEnqueue(b *testing.B) {
	l, _ := openTest(b, Options{Logf: func(string, ...any) {}, QueueSize: 1 << 16})
	var next atomic.Int64
	r0 := record(0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := *r0
			r.ID = "async-" + strconv.FormatInt(next.Add(1), 10)
			if err := l.Enqueue(&r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNewItemCapture is the per-request cost of turning a record
// with a capture into column values, which Commit does on the request's
// goroutine: the headers and bodies are compressed there.
func BenchmarkNewItemCapture(b *testing.B) {
	l, _ := openTest(b, Options{Logf: func(string, ...any) {}})
	r := *record(0)
	r.Capture = &Capture{
		RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "User-Agent": {"bench/1.0"}},
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_123"}},
		RequestBody:     []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"respond with: hello"}]}`),
		ResponseBody:    []byte(`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}],"usage":{"prompt_tokens":10,"completion_tokens":1}}`),
	}
	b.ReportAllocs()
	for b.Loop() {
		it, err := l.newItem(&r)
		if err != nil || it.capture == nil {
			b.Fatalf("newItem: %v (capture %v)", err, it.capture != nil)
		}
	}
}

// BenchmarkSessionIDSmall is the session lookup on a short request.
func BenchmarkSessionIDSmall(b *testing.B) {
	body := []byte(`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"respond with: hello"}]}`)
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		if SessionID(h, body) == "" {
			b.Fatal("no session")
		}
	}
}

// BenchmarkWriterThroughput is the writer's cost per request, the way the
// gateway records one: a row enqueued, then its capture; the writer
// gathers them into transactions. ns/op is the writer's time per request
// (it is the slower side), which on a busy gateway is CPU taken from
// serving.
func BenchmarkWriterThroughput(b *testing.B) {
	// Rows per transaction: what a 10 ms flush interval gathers at 1k
	// and 7k requests/s, and a large batch.
	for _, batch := range []int{10, 70, 500} {
		b.Run(fmt.Sprintf("rows-per-tx=%d", batch), func(b *testing.B) { benchWriter(b, batch) })
	}
}

func benchWriter(b *testing.B, batch int) {
	l, _ := openTest(b, Options{Logf: func(string, ...any) {}, QueueSize: 1 << 16, FlushInterval: time.Hour})
	r0 := record(0)
	c := &Capture{
		RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "User-Agent": {"bench/1.0"}},
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_123"}},
		RequestBody:     []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"respond with: hello"}]}`),
		ResponseBody:    []byte(`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}],"usage":{"prompt_tokens":10,"completion_tokens":1}}`),
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := *r0
		r.ID = "w-" + strconv.Itoa(i)
		r.Time = r0.Time.Add(time.Duration(i) * time.Millisecond)
		i++
		if err := l.Enqueue(&r); err != nil {
			b.Fatal(err)
		}
		if err := l.CaptureAsync(r.ID, c); err != nil {
			b.Fatal(err)
		}
		if i%batch == 0 {
			// Wait as the gateway never does, so that batches have the
			// size asked for rather than whatever piles up.
			if err := l.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	st := l.Stats()
	b.ReportMetric(float64(st.Rows)/float64(max(st.Transactions, 1)), "rows/tx")
}
