package gateway

import (
	"fmt"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
)

// TestPlainAPICallsSkipOnlyTheCatchAll: every request isPlainAPICall lets
// skip the mux is one the mux would have given to serveAPI (the "/"
// route) as it is, neither to another route nor through a redirect.
func TestPlainAPICallsSkipOnlyTheCatchAll(t *testing.T) {
	f := newFixture(t)
	paths := []string{
		"/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/responses/resp_1/cancel",
		"/v1/models", "/v1/models/gpt-4o", "/v1beta/models/gemini-2.5-flash:generateContent",
		"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "/v1/embeddings", "/v1/",
		"/v1//chat/completions", "/v1/./chat/completions", "/v1/../api/config", "/v1/chat/completions/",
		"/v1/chat%2Fcompletions", "/v1/%2e%2e/api/config", "/v1beta/models/x%3AgenerateContent",
		"/api/config", "/api/config/validate", "/api/quotas/refill", "/aperture/config:validate",
		"/ui/", "/ui/requests", "/metrics", "/healthz", "/models", "/v1", "/v1beta", "/",
	}
	plain := 0
	for _, method := range []string{"POST", "GET", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		for _, p := range paths {
			r := httptest.NewRequest(method, "http://ai"+p, nil)
			if !isPlainAPICall(r) {
				continue
			}
			plain++
			h, pattern := f.gw.mux.Handler(r)
			if pattern != "/" || h == nil {
				t.Errorf("%s %s skips the mux, which would give it to %q", method, p, pattern)
			}
			// The mux answers a path it would clean with a redirect,
			// under the pattern of the cleaned path ("/" here too).
			if typ := fmt.Sprintf("%T", h); strings.Contains(typ, "redirect") {
				t.Errorf("%s %s skips the mux, which would redirect it (%s)", method, p, typ)
			}
			if clean := path.Clean(p); clean != p && clean+"/" != p {
				t.Errorf("%s %s skips the mux, which would clean it to %s", method, p, clean)
			}
		}
	}
	// The provider calls of every API do skip it.
	for _, p := range []string{"/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1beta/models/gemini-2.5-flash:generateContent"} {
		if !isPlainAPICall(httptest.NewRequest("POST", "http://ai"+p, nil)) {
			t.Errorf("POST %s goes through the mux", p)
		}
	}
	if plain < 4 {
		t.Errorf("only %d requests skipped the mux", plain)
	}
}
