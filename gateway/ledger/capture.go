package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/tsplug/ts-plug/gateway/apis"
)

// gzipWriters recycles compressors: a gzip.Writer allocates ~800 KB of
// state, too much to make per captured request.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// MinCompress is the size below which a column is stored as is: gzip's
// own overhead (about 20 bytes plus a deflate block) makes small values no
// smaller, and compressing them dominated the cost of a capture. A
// capture whose bodies are all smaller costs about a microsecond to
// encode.
const MinCompress = 2048

// gzipMagic starts every gzip stream; JSON and text never do, so a stored
// value tells by itself whether it was compressed.
var gzipMagic = []byte{0x1f, 0x8b}

// compress gzips b, or keeps it as is when it is small. Nil or empty input
// stores NULL.
func compress(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < MinCompress && !bytes.HasPrefix(b, gzipMagic) {
		return b, nil
	}
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// decompress reverses compress.
func decompress(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if !bytes.HasPrefix(b, gzipMagic) {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return out, nil
}

// encodeCapture returns prefix (request_id and created, as the caller
// gives them) followed by the compressed columns of c, in insertCapture
// order, in one slice.
func encodeCapture(c *Capture, prefix ...any) ([]any, error) {
	cols := make([]any, 0, len(prefix)+5)
	cols = append(cols, prefix...)
	reqJSON, respJSON := c.headerJSON()
	for _, b := range [][]byte{reqJSON, respJSON, c.RequestBody, c.ResponseBody} {
		z, err := compress(b)
		if err != nil {
			return nil, err
		}
		cols = append(cols, z)
	}
	return append(cols, c.Truncated), nil
}

// liveHeaders are a capture's header maps as the request and its answer
// carry them, unredacted: a capture encodes them, redacted, when it is
// queued (encodeCapture, from Sink.Enqueue or CaptureAsync), rather than
// copying each into a redacted map first, which cost every captured
// request six allocations. Only encodeCapture reads them, so no secret
// leaves the ledger package; anything else sees the exported headers,
// which are nil on the write side (Stored shows what is kept). A Capture
// points to them, so that printing one (%+v) shows an address, not them.
type liveHeaders struct {
	request, response       http.Header
	hasRequest, hasResponse bool // a nil map is captured as {}, like an empty one
}

// SetResponseHeaders captures the answer's headers, h as the caller is
// sent it. As with NewCapture's, h is read, and its secrets redacted,
// when the capture is queued, not now: it must not change until then.
func (c *Capture) SetResponseHeaders(h http.Header) {
	if c.live == nil {
		c.live = new(liveHeaders) // a capture not from NewCapture
	}
	c.live.response, c.live.hasResponse = h, true
}

// headerJSON encodes c's request and answer headers as the captures
// table stores them, in one new buffer for both: nil for a side not
// captured. The live maps of NewCapture and SetResponseHeaders are
// encoded redacted (apis.AppendRedactedHeaders); a side without one (a
// capture built by hand, already redacted) is encoded as it is.
func (c *Capture) headerJSON() (req, resp []byte) {
	// The headers of an ordinary request and its answer are listed on
	// the stack; the encoding grows the buffer again only to escape.
	var reqStack, respStack [32]apis.RedactedHeader
	reqSide := capturedHeaders{given: c.RequestHeaders}
	respSide := capturedHeaders{given: c.ResponseHeaders}
	if l := c.live; l != nil {
		if l.hasRequest {
			reqSide = capturedHeaders{live: true, listed: apis.AppendRedactedHeaders(reqStack[:0], l.request)}
		}
		if l.hasResponse {
			respSide = capturedHeaders{live: true, listed: apis.AppendRedactedHeaders(respStack[:0], l.response)}
		}
	}
	size := reqSide.size() + respSide.size()
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, 0, size)
	buf, req = reqSide.appendJSON(buf)
	buf, resp = respSide.appendJSON(buf)
	return req, resp
}

// capturedHeaders are one side of a capture's headers, on their way to
// its JSON column.
type capturedHeaders struct {
	live   bool                  // listed from a live map, redacted
	listed []apis.RedactedHeader // live
	given  http.Header           // !live: as given; nil stores NULL
}

// size is the room the encoding takes when nothing needs escaping; 0
// when there is nothing to store.
func (s *capturedHeaders) size() int {
	switch {
	case s.live:
		return redactedHeaderJSONSize(s.listed)
	case s.given != nil:
		return headerJSONSize(s.given)
	}
	return 0
}

// appendJSON appends the encoding to buf and returns buf and the
// encoding, sliced from it (nil when nothing is stored).
func (s *capturedHeaders) appendJSON(buf []byte) (_, enc []byte) {
	n := len(buf)
	switch {
	case s.live:
		buf = appendRedactedHeaderJSON(buf, s.listed)
	case s.given != nil:
		buf = appendHeaderJSON(buf, s.given)
	default:
		return buf, nil
	}
	return buf, buf[n:len(buf):len(buf)]
}

// Stored returns c as the captures table keeps it and Ledger.Capture
// reads it back: its headers redacted and decoded from the JSON stored,
// its bodies as they are. An in-memory Sink (a test's) keeps that, so
// what it checks is what the ledger would store.
func (c *Capture) Stored() (*Capture, error) {
	req, resp := c.headerJSON()
	s := &Capture{RequestBody: c.RequestBody, ResponseBody: c.ResponseBody, Truncated: c.Truncated}
	for _, p := range []struct {
		raw []byte
		h   *http.Header
	}{{req, &s.RequestHeaders}, {resp, &s.ResponseHeaders}} {
		if p.raw != nil {
			if err := json.Unmarshal(p.raw, p.h); err != nil {
				return nil, fmt.Errorf("capture headers: %w", err)
			}
		}
	}
	return s, nil
}

// KeepsCaptures reports whether captures are stored at all: retention
// "0" without require_export means bodies are never written, so the
// gateway need not copy them.
func (l *Ledger) KeepsCaptures() bool {
	r := l.retention.Load()
	return r == nil || r.Forever || r.Period > 0 || r.RequireExport
}

// Capture returns the captured headers and bodies of request id, or an
// error wrapping ErrNotFound if none is stored (never captured, or
// purged).
func (l *Ledger) Capture(ctx context.Context, id string) (*Capture, error) {
	l.readOwnWrites(ctx)
	var rh, sh, rb, sb []byte
	var c Capture
	err := l.db.QueryRowContext(ctx, `SELECT request_headers, response_headers,
		request_body, response_body, truncated FROM captures WHERE request_id = ?`, id).
		Scan(&rh, &sh, &rb, &sb, &c.Truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("capture %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", id, err)
	}
	for _, p := range []struct {
		z []byte
		h *http.Header
	}{{rh, &c.RequestHeaders}, {sh, &c.ResponseHeaders}} {
		raw, err := decompress(p.z)
		if err != nil {
			return nil, fmt.Errorf("capture %s headers: %w", id, err)
		}
		if raw != nil {
			if err := json.Unmarshal(raw, p.h); err != nil {
				return nil, fmt.Errorf("capture %s headers: %w", id, err)
			}
		}
	}
	if c.RequestBody, err = decompress(rb); err != nil {
		return nil, fmt.Errorf("capture %s request body: %w", id, err)
	}
	if c.ResponseBody, err = decompress(sb); err != nil {
		return nil, fmt.Errorf("capture %s response body: %w", id, err)
	}
	return &c, nil
}

// MarkExported records that the captures of ids were exported (to S3), so
// a retention with require_export may purge them.
func (l *Ledger) MarkExported(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark exported: %w", err)
	}
	defer tx.Rollback()
	now := l.now().UnixNano()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE captures SET exported = ? WHERE request_id = ?`, now, id); err != nil {
			return fmt.Errorf("mark exported %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark exported: %w", err)
	}
	return nil
}

// MaxCaptureBytes bounds how much of each body a capture keeps; the rest
// is counted, not stored, so a huge stream never grows the gateway.
const MaxCaptureBytes = 1 << 20

// NewCapture starts the capture of a request as the caller sent it: its
// headers with credentials redacted, and the first MaxCaptureBytes of its
// body. The answer's headers (SetResponseHeaders) and body are added as
// they pass. reqHeader is read, and redacted, when the capture is queued
// (Sink.Enqueue, CaptureAsync), not now: it must not change until then.
func NewCapture(reqHeader http.Header, body []byte) *Capture {
	// The Capture and its live headers in one allocation, as one was.
	both := &struct {
		c    Capture
		live liveHeaders
	}{live: liveHeaders{request: reqHeader, hasRequest: true}}
	c := &both.c
	c.live = &both.live
	if len(body) > MaxCaptureBytes {
		c.RequestBody, c.Truncated = body[:MaxCaptureBytes:MaxCaptureBytes], true
	} else {
		c.RequestBody = body
	}
	return c
}

// CaptureBuffer keeps the first bytes written to it, up to its limit,
// and notes that more came: an answer's copy for a capture, a webhook,
// or the start of a created response.
type CaptureBuffer struct {
	b         []byte
	max       int
	truncated bool
}

// NewCaptureBuffer keeps up to max bytes.
func NewCaptureBuffer(max int) *CaptureBuffer { return &CaptureBuffer{max: max} }

// MakeCaptureBuffer is NewCaptureBuffer as a value, for a buffer kept
// inside a larger value (the gateway's per-request state) rather than
// allocated on its own.
func MakeCaptureBuffer(max int) CaptureBuffer { return CaptureBuffer{max: max} }

// Write keeps what fits and never fails, so a copy never stops the
// answer it is taken from.
func (c *CaptureBuffer) Write(p []byte) (int, error) {
	if room := c.max - len(c.b); room > 0 {
		if len(p) > room {
			c.b = append(c.b, p[:room]...)
			c.truncated = true
		} else {
			c.b = append(c.b, p...)
		}
	} else if len(p) > 0 {
		c.truncated = true
	}
	return len(p), nil
}

// Bytes are the bytes kept.
func (c *CaptureBuffer) Bytes() []byte { return c.b }

// Truncated reports that more was written than kept.
func (c *CaptureBuffer) Truncated() bool { return c.truncated }
