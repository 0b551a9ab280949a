package tunnel

import (
	"io"
	"net/http"
	"sync/atomic"
)

// Stats counts what a forwarder served.
type Stats struct {
	Requests atomic.Int64
	BytesIn  atomic.Int64 // from clients (local ones for ts-unplug, tailnet ones for ts-plug)
	BytesOut atomic.Int64 // to clients
	Errors   atomic.Int64 // answers with status >= 500
	InFlight atomic.Int64
	TCPConns atomic.Int64
}

// StatsSnapshot is Stats as JSON.
type StatsSnapshot struct {
	Requests int64 `json:"requests"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	Errors   int64 `json:"errors"`
	InFlight int64 `json:"in_flight"`
	TCPConns int64 `json:"tcp_connections"`
}

// Snapshot reads the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Requests: s.Requests.Load(), BytesIn: s.BytesIn.Load(), BytesOut: s.BytesOut.Load(),
		Errors: s.Errors.Load(), InFlight: s.InFlight.Load(), TCPConns: s.TCPConns.Load(),
	}
}

// Count wraps next to count requests and body bytes.
func (s *Stats) Count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		s.InFlight.Add(1)
		defer s.InFlight.Add(-1)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &countingBody{ReadCloser: r.Body, n: &s.BytesIn}
		}
		cw := &countingWriter{ResponseWriter: w, n: &s.BytesOut}
		next.ServeHTTP(cw, r)
		if cw.status >= 500 {
			s.Errors.Add(1)
		}
	})
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// countingWriter counts response bytes. Unwrap lets http.ResponseController
// (used by httputil.ReverseProxy) reach Flush and Hijack underneath.
type countingWriter struct {
	http.ResponseWriter
	n      *atomic.Int64
	status int
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
