package ledger

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// BenchmarkEnqueue is a request's ledger write as the gateway makes it:
// building the row's values, handing them to the writer and waiting for
// the transaction that commits them, with GOMAXPROCS requests finishing
// at once. (Before Enqueue waited for its commit, this was the enqueue
// alone.)
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

// BenchmarkEnqueueParallel is many requests finishing at once (16
// goroutines per GOMAXPROCS), each recording its row with Enqueue as the
// gateway does. ns/op is the throughput, up to every row committed (the
// final Sync is timed too, so a ledger that only queues is not credited
// with writes it has not made); p50-µs and p99-µs are the time one
// Enqueue call takes; rows/tx is how many rows shared a commit.
func BenchmarkEnqueueParallel(b *testing.B) {
	l, _ := openTest(b, Options{Logf: func(string, ...any) {}, QueueSize: 1 << 16})
	var next atomic.Int64
	r0 := record(0)
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			r := *r0
			r.ID = "par-" + strconv.FormatInt(next.Add(1), 10)
			t0 := time.Now()
			if err := l.Enqueue(&r); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	if err := l.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
	st := l.Stats()
	b.ReportMetric(float64(st.Rows)/float64(max(st.Transactions, 1)), "rows/tx")
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
	info, err := apis.ScanBody(body) // the gateway's one pass, done anyway
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if SessionID(h, info.SessionHints(body)) == "" {
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
		// Queued with nobody waiting, unlike Enqueue, so that the writer
		// alone sets the batch size.
		it, err := l.newItem(&r)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.enqueue(context.Background(), it); err != nil {
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

// BenchmarkWriteBatch is the writer's transaction alone, at the batch
// sizes group commit makes: ns/op is per row, so it shows what sharing a
// commit saves (the gateway's rows/commit is about 3 at 10 requests at
// once, 7-11 at 50). Each row carries the benchmark record's values, no
// capture.
func BenchmarkWriteBatch(b *testing.B) {
	for _, rows := range []int{1, 3, 10, 100} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			l, _ := openTest(b, Options{Logf: func(string, ...any) {}})
			if err := l.prepareWriter(context.Background()); err != nil {
				b.Fatal(err)
			}
			r0 := record(0)
			items := make([]*item, rows)
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += rows {
				for j := range items {
					r := *r0
					r.ID = "batch-" + strconv.Itoa(n)
					n++
					it, err := l.newItem(&r)
					if err != nil {
						b.Fatal(err)
					}
					items[j] = it
				}
				if err := l.write(items); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
