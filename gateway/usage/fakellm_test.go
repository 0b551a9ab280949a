package usage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// TestFakeLLMStreamsCutAtEveryEvent reads the streams fakellm produces in
// each provider's exact wire shape (a long reply in many deltas), cuts
// each at every event boundary, and checks the estimate against the reply
// text delivered. It is the same property as
// TestInterruptedStreamsEstimateOutput on answers not written by hand.
func TestFakeLLMStreamsCutAtEveryEvent(t *testing.T) {
	// ~20 KB of reply. '~' marks it: no protocol text has one, so the
	// reply bytes inside a cut are four per '~'.
	reply := strings.Repeat("ab~ ", 5000)
	fake := fakellm.New(
		fakellm.WithReply(reply),
		fakellm.WithChunks(200),
		fakellm.WithUsage(fakellm.Usage{InputTokens: 30, OutputTokens: 5000}),
	)
	tests := []struct {
		name string
		api  config.API
		path string
		body string
	}{
		{"chat", config.OpenAIChat, "/v1/chat/completions",
			`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`},
		{"responses", config.OpenAIResponses, "/v1/responses",
			`{"model":"gpt-4o","stream":true,"store":false,"input":"hi"}`},
		{"anthropic", config.AnthropicMessages, "/v1/messages",
			`{"model":"claude-sonnet-4-5","max_tokens":64000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"gemini-sse", config.GeminiGenerateContent, "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
		{"gemini-array", config.GeminiGenerateContent, "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			fake.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("fakellm answered %d: %s", rec.Code, rec.Body)
			}
			body := rec.Body.String()
			whole := run(tt.api, true, true, body)
			if whole.OutputTokens != 5000 || whole.Estimated || !whole.Found {
				t.Fatalf("complete stream: %+v", whole)
			}

			// The event boundaries, as EventEnd reports them byte by byte.
			e := NewExtractor(tt.api, true)
			var ends []int
			for i := range len(body) {
				e.Write([]byte(body[i : i+1]))
				n := int(e.EventEnd())
				switch {
				case n == 0 || len(ends) > 0 && ends[len(ends)-1] == n:
				case len(ends) > 0 && ends[len(ends)-1] == n-1 && body[n-1] == '\n':
					// Dispatched at the CR of a CRLF blank line; the
					// LF that followed belongs to the same boundary.
					ends[len(ends)-1] = n
				default:
					ends = append(ends, n)
				}
			}
			if len(ends) < 200 {
				t.Fatalf("only %d event boundaries in %d bytes", len(ends), len(body))
			}
			var last int64
			textSeen := 0 // bytes of reply text inside the cut
			for _, n := range ends {
				cut := body[:n]
				if tt.name != "gemini-array" && !strings.HasSuffix(cut, "\n\n") && !strings.HasSuffix(cut, "\r\n\r\n") {
					t.Fatalf("boundary %d does not end a blank line: %q", n, cut[max(0, n-20):])
				}
				u := run(tt.api, true, false, cut)
				if u.OutputTokens < last {
					t.Fatalf("cut at %d: OutputTokens %d fell from %d", n, u.OutputTokens, last)
				}
				last = u.OutputTokens
				if !u.Estimated {
					if u.OutputTokens != 5000 {
						t.Fatalf("cut at %d: final usage not Estimated but %+v", n, u)
					}
					continue
				}
				// Responses' *.done events repeat the text: count it once.
				textSeen = min(4*strings.Count(cut, "~"), len(reply))
				if lo, hi := int64(textSeen/8), int64(2*(textSeen+4)/4+2); u.OutputTokens < lo || u.OutputTokens > hi {
					t.Fatalf("cut at %d: OutputTokens %d for ~%d text bytes, want within [%d, %d]", n, u.OutputTokens, textSeen, lo, hi)
				}
			}
			if textSeen < len(reply)/2 {
				t.Errorf("estimated cuts saw only %d of %d text bytes", textSeen, len(reply))
			}
		})
	}
}
