package apis

import "testing"

// A "stream" of the wrong type is refused like an output limit of the
// wrong type: lax parsers (pydantic's default mode, used by vLLM and
// LiteLLM) read "stream":"true" or 1 as true and stream, while the gateway
// would forward without include_usage, without the stream budget and with
// the non-streamed meter.
func TestReviewNonBooleanStreamAccepted(t *testing.T) {
	for _, body := range []string{`{"model":"m","stream":"true"}`, `{"model":"m","stream":1}`} {
		info, err := ScanBody([]byte(body))
		if err == nil {
			t.Errorf("%s: accepted as stream=%v; a non-boolean stream should be refused like a non-integer max_tokens", body, info.Stream)
		}
	}
}
