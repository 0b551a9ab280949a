package fakellm

import (
	"net/http"
	"time"
)

// Failure describes how an API request should fail. Queue failures with
// Server.FailNext; each API request that passes the key check takes the
// next one.
//
// The forms:
//
//   - Status set, AfterEvents 0 (or a non-streaming request): the answer is
//     Status with the API's own error envelope carrying Message.
//   - Status set, AfterEvents > 0, streaming request: the stream starts with
//     200, sends AfterEvents events, then an in-band error event in the
//     API's format (OpenAI chat and Gemini: a data line with an "error"
//     object; Responses: event "error"; Anthropic: event "error" with the
//     error envelope) and ends.
//   - Cut: the answer starts normally and the connection is then dropped
//     without a clean end: a stream after AfterEvents events, a
//     non-streaming answer after its first 32 body bytes. Clients see an
//     unexpected EOF.
//
// If a stream has no more than AfterEvents events, the error or cut comes
// after its last event.
type Failure struct {
	Status      int    // HTTP status of the error; 0 with Cut false means 500
	Message     string // error message; "" picks one naming the status
	Type        string // provider error type (Gemini: status name); "" picks the status's usual one
	Cut         bool   // drop the connection instead of answering with an error
	AfterEvents int    // events sent before the error or cut (streaming only)
	// RetryAfter, if set, is sent with a status error as the Retry-After
	// (whole seconds, rounded up) and retry-after-ms headers, which the
	// official SDKs honour when retrying.
	RetryAfter time.Duration
}

// cutBodyBytes is how much of a non-streaming answer a Cut lets through.
const cutBodyBytes = 32

// pendingFailure is a Failure with the number of requests it still fails.
type pendingFailure struct {
	f     Failure
	count int
}

// normalized fills in defaults.
func (f Failure) normalized() Failure {
	if f.Status == 0 && !f.Cut {
		f.Status = http.StatusInternalServerError
	}
	if f.Message == "" {
		f.Message = defaultMessage(f.Status)
	}
	f.AfterEvents = max(0, f.AfterEvents)
	return f
}

// apiError is the error answer of a status failure.
func (f Failure) apiError() apiError {
	return apiError{status: f.Status, message: f.Message, kind: f.Type, retryAfter: f.RetryAfter}
}

// FailNext makes the next n API requests fail as f describes. Calls queue:
// FailNext(1, a) then FailNext(2, b) fails one request with a, then two
// with b.
func (s *Server) FailNext(n int, f Failure) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, pendingFailure{f: f.normalized(), count: n})
}

// ClearFailures drops every queued failure.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// PendingFailures is how many requests queued failures will still fail.
func (s *Server) PendingFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.failures {
		n += p.count
	}
	return n
}

// takeFailure pops the failure for the current request, if any.
func (s *Server) takeFailure() (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) == 0 {
		return Failure{}, false
	}
	p := &s.failures[0]
	f := p.f
	if p.count--; p.count == 0 {
		s.failures = s.failures[1:]
	}
	return f, true
}
