package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// terminalMarks are what each stream of streamRequests carries in its
// terminal event.
var terminalMarks = map[string]string{
	"anthropic":    `"type":"message_stop"`,
	"chat":         "data: [DONE]",
	"responses":    "event: response.completed",
	"gemini sse":   `"finishReason"`,
	"gemini array": `"finishReason"`,
}

// A provider that breaks off its answer never makes the caller take the
// part it got for the whole: a stream cut between two events ends with an
// error event in its API's format (well-formed, so the SDK raises it), one
// cut after its terminal event ends as it would have, and anything else
// (a plain JSON answer, an array with nothing in it yet) reaches the
// caller as a broken connection. The row says which, and the bucket is
// charged what the ledger says.
func TestProviderBreakReachesTheCaller(t *testing.T) {
	const events = 6 // as in TestStreamsCutAtEveryEvent; k past the end cuts after the last
	for _, req := range streamRequests {
		for k := 0; k <= events+3; k++ {
			t.Run(fmt.Sprintf("%s after %d", req.name, k), func(t *testing.T) {
				f := newLimitsFixture(t, "$100.00", fakellm.WithBodySize(6*16<<10),
					fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 24_576}))
				f.fake.FailNext(1, fakellm.Failure{Cut: true, AfterEvents: k})
				body, readErr := postRead(t, f.base+req.path, req.body)
				rec := waitRow(t, f)
				whole := strings.Contains(string(body), terminalMarks[req.name])
				if whole == rec.Interrupted || whole == strings.Contains(rec.Error, "broke off its answer") {
					t.Errorf("terminal event delivered %v, but the row says interrupted %v, error %q", whole, rec.Interrupted, rec.Error)
				}
				f.spent(t)
				if req.name == "gemini array" && k == 0 {
					// Nothing of the array went out but, at most, its "[".
					if readErr == nil {
						t.Errorf("an array cut before its first element ended cleanly: %q", body)
					}
					return
				}
				if readErr != nil {
					t.Fatalf("a stream cut between events broke the connection: %v", readErr)
				}
				var last string
				if req.name == "gemini array" {
					var elems []json.RawMessage
					if err := json.Unmarshal(body, &elems); err != nil {
						t.Fatalf("the array the caller got does not parse: %v\n%s", err, tail(body))
					}
					last = string(elems[len(elems)-1])
				} else {
					last = lastEvent(t, body)
				}
				if broke := strings.Contains(last, "broke off its answer"); broke == whole {
					t.Errorf("terminal event delivered %v, error event at the end %v:\n%s", whole, broke, tail(body))
				}
			})
		}
	}
	for _, req := range []struct{ name, path, body string }{
		{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64000,"messages":[{"role":"user","content":"hi"}]}`},
		{"chat", "/v1/chat/completions", `{"model":"gpt-4o","max_tokens":64000,"messages":[{"role":"user","content":"hi"}]}`},
		{"responses", "/v1/responses", `{"model":"gpt-4o","max_output_tokens":64000,"input":"hi"}`},
		{"gemini", "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64000}}`},
	} {
		t.Run(req.name+" unstreamed", func(t *testing.T) {
			f := newLimitsFixture(t, "$100.00", fakellm.WithUsage(fakellm.Usage{InputTokens: 10, OutputTokens: 20}))
			f.fake.FailNext(1, fakellm.Failure{Cut: true}) // after 32 bytes
			body, err := postRead(t, f.base+req.path, req.body)
			if err == nil {
				t.Errorf("a JSON answer cut after 32 bytes ended cleanly: %q", body)
			}
			rec := waitRow(t, f)
			if !rec.Interrupted || !strings.Contains(rec.Error, "broke off its answer after 32 bytes") {
				t.Errorf("row: interrupted %v, error %q", rec.Interrupted, rec.Error)
			}
			f.spent(t)
		})
	}
}

// postRead posts body to url and reads the answer, returning what arrived
// and the error that ended it (nil for a clean end).
func postRead(t *testing.T, url, body string) ([]byte, error) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %s", res.Status)
	}
	return io.ReadAll(res.Body)
}

// lastEvent checks that an SSE body is whole events only (each data line
// JSON or [DONE], the body ending at a blank line) and returns the last.
// (Gemini ends its lines with CRLF.)
func lastEvent(t *testing.T, body []byte) string {
	t.Helper()
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		t.Fatalf("the stream ends inside an event:\n%s", tail(body))
	}
	events := strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n")
	for _, ev := range events {
		for _, line := range strings.Split(ev, "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok && d != "[DONE]" && !json.Valid([]byte(d)) {
				t.Fatalf("an event's data is not JSON: %.200s", d)
			}
		}
	}
	return events[len(events)-1]
}

// tail is the end of body, for messages.
func tail(body []byte) string {
	return string(body[max(0, len(body)-300):])
}
