package gateway

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
)

// callerLimiter bounds what each caller holds on the gateway at once: its
// requests in flight and the request-body bytes buffered for them
// (config caller_limits), so one careless or hostile caller cannot take
// every socket or all memory from everyone else.
type callerLimiter struct {
	mu sync.Mutex
	by map[string]*callerLoad
}

type callerLoad struct {
	requests int
	bytes    int64
}

// errCallerBytes is readBody's error when a caller's buffered bytes would
// pass its limit.
var errCallerBytes = errors.New("too many request bytes in flight for this caller")

// admit counts a request of who in, unless who already has max in flight.
func (l *callerLimiter) admit(who string, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string]*callerLoad{}
	}
	c := l.by[who]
	if c == nil {
		c = &callerLoad{}
		l.by[who] = c
	}
	if c.requests >= max {
		return false
	}
	c.requests++
	return true
}

// charge counts n more buffered bytes for who, unless that passes max.
func (l *callerLimiter) charge(who string, n, max int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.by[who]
	if c == nil || c.bytes+n > max {
		return false
	}
	c.bytes += n
	return true
}

// done counts a request of who out, with the bytes it was charged.
func (l *callerLimiter) done(who string, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.by[who]
	if c == nil {
		return
	}
	c.requests--
	c.bytes -= bytes
	if c.requests <= 0 {
		delete(l.by, who)
	}
}

// readStep is how much more of a body readBody makes room for at a time:
// a Content-Length is a claim, so no more than this is allocated before
// the bytes actually arrive.
const readStep = 64 << 10

// readBody reads the whole request body, up to limit bytes, growing its
// buffer as the bytes arrive (never by the claimed Content-Length alone),
// and asks charge for room before each step. It returns the body and the
// bytes charged.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, charge func(n int64) bool) ([]byte, int64, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, nil
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	first := int64(readStep)
	if r.ContentLength >= 0 && r.ContentLength < first {
		first = r.ContentLength + 1 // room to see EOF without growing
	}
	var charged int64
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			grow := first
			if cap(buf) > 0 {
				grow = min(int64(cap(buf)), limit) // double, up to the limit
			}
			if !charge(grow) {
				return nil, charged, errCallerBytes
			}
			charged += grow
			buf = slices.Grow(buf, int(grow))
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, charged, nil
		}
		if err != nil {
			return nil, charged, err
		}
	}
}
