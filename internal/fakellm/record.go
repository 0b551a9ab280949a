package fakellm

import (
	"bytes"
	"net/http"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// Defaults bounding the request record, so uploads of hundreds of
// megabytes and long benchmarks do not grow memory without limit.
const (
	DefaultMaxRecordedBody = 1 << 20 // body bytes kept per request
	DefaultMaxRecords      = 10_000  // requests kept; the oldest go first
)

// Request is one request as the fake received it. Tests use it to check
// what reached the provider: which key, which headers, which body.
type Request struct {
	Time          time.Time
	Method        string
	Path          string // URL path as received, decoded
	RawQuery      string
	Header        http.Header
	Body          []byte // the first MaxRecordedBody bytes of the body
	BodySize      int64  // bytes of body received, even past the kept part
	BodyTruncated bool   // Body holds only the start of the body
	API           config.API
	Model         string // from the body, or the path for Gemini
	Stream        bool
}

// cappedBuffer keeps the first max bytes written to it and counts the rest.
type cappedBuffer struct {
	buf   bytes.Buffer
	max   int
	total int64
}

// Write never fails, so it can sit in an io.TeeReader.
func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// record appends r, dropping the oldest entries past the limit.
func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.total++
	// Trim in batches so recording stays O(1) amortized; the accessors
	// only ever show the newest maxRecords.
	if len(s.requests) >= 2*s.maxRecords {
		s.requests = append([]Request(nil), s.recent()...)
	}
}

// recent is the newest maxRecords entries. The caller holds s.mu.
func (s *Server) recent() []Request {
	return s.requests[max(0, len(s.requests)-s.maxRecords):]
}

// Requests returns a copy of the recorded requests, oldest first: the
// newest MaxRecords of them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.recent()
	out := make([]Request, len(recent))
	for i, r := range recent {
		out[i] = r.clone()
	}
	return out
}

// LastRequest returns the most recent request, if any.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1].clone(), true
}

// RequestCount is the number of requests received since New or Reset,
// including ones already dropped from the bounded record.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Reset forgets every recorded request. Other settings are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.total = 0
}

// clone copies the mutable parts, so callers cannot change the record.
func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}
