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
