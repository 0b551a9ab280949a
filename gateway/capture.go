package gateway

import (
	"net/http"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// MaxCaptureBytes bounds how much of each body a capture keeps; the rest
// is counted, not stored, so a huge stream never grows the gateway.
const MaxCaptureBytes = 1 << 20

// capBuffer keeps the first max bytes written to it.
type capBuffer struct {
	b         []byte
	max       int
	truncated bool
}

func (c *capBuffer) Write(p []byte) (int, error) {
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

// responseIDWindow is how much of a created Responses object's answer is
// kept when nothing is captured: its "id" comes first (in the JSON answer,
// and in the stream's first event).
const responseIDWindow = 16 << 10

// capturing reports whether requests' headers and bodies are captured:
// when the ledger would discard them, the gateway does not copy them.
func (s *Server) capturing() bool {
	return s.opts.Ledger.KeepsCaptures()
}

// newCapture records what the caller sent, secrets redacted.
func newCapture(reqHeader http.Header, body []byte) *ledger.Capture {
	c := &ledger.Capture{RequestHeaders: apis.RedactHeaders(reqHeader)}
	if len(body) > MaxCaptureBytes {
		c.RequestBody, c.Truncated = body[:MaxCaptureBytes:MaxCaptureBytes], true
	} else {
		c.RequestBody = body
	}
	return c
}
