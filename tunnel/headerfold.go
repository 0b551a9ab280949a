package tunnel

import (
	"net/http"

	"github.com/tsplug/ts-plug/tunnel/headername"
)

// IsReservedHeader reports whether a header named name must never pass a
// tunnel as the client sent it: headername.Reserved, which explains the
// rule.
func IsReservedHeader(name string) bool { return headername.Reserved(name) }

// StripTailscaleHeaders removes every header IsReservedHeader names, in
// every spelling. Identity headers are set only by the trusted side of a
// tunnel; a client that sends its own must never have them believed.
func StripTailscaleHeaders(h http.Header) {
	for k := range h {
		if IsReservedHeader(k) {
			delete(h, k)
		}
	}
}
