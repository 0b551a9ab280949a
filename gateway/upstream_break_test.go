package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// terminalMarks are what each SSE stream of streamRequests carries in its
// terminal event.
var terminalMarks = map[string]string{
	"anthropic":  `"type":"message_stop"`,
	"chat":       "data: [DONE]",
	"responses":  "event: response.completed",
	"gemini sse": `"finishReason"`,
}

// deliveredWhole reports whether text, a stream of streamRequests[name]
// the provider broke off, reached the caller whole: its terminal event
// went out. A Gemini array broken before its "]" never counts: the gateway
// cannot tell its last element from its meter's reading, and says it broke.
func deliveredWhole(name, text string) bool {
	mark, ok := terminalMarks[name]
	return ok && strings.Contains(text, mark)
}

// A provider that breaks off its answer never makes the caller take the
// part it got for the whole: a stream cut between two events ends with an
// error event in its API's format (well-formed, so the SDK raises it), an
// SSE stream cut after its terminal event ends as it would have, and
// anything else (a plain JSON answer, an array with nothing in it yet)
// reaches the caller as a broken connection. The row says which, and the
// bucket is charged what the ledger says.
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
				whole := deliveredWhole(req.name, string(body))
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
			// The headers, then the cut: a proxy in front (ts-unplug) must
			// not take it for its own link failing.
			res, err := http.Post(f.base+req.path, "application/json", strings.NewReader(req.body))
			if err != nil {
				t.Fatalf("no answer at all: %v", err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || err == nil {
				t.Errorf("a JSON answer cut after 32 bytes: %s, %q, read error %v", res.Status, body, err)
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
	// A client splitting lines at LF alone (bufio.Scanner) reads a line
	// after a lone CR as "\rdata: …", a field it does not know.
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(line) > 1 && line[0] == '\r' {
			t.Errorf("a line begins with a lone CR: %.80q", line)
		}
	}
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

// breakingUpstream answers with status, contentType ("" for none) and
// chunks, each flushed on its own, then drops the connection without
// ending the body.
func breakingUpstream(status int, contentType string, chunks ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		for _, c := range chunks {
			w.Write([]byte(c))
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond) // each chunk its own read
		}
		panic(http.ErrAbortHandler)
	})
}

// How a broken answer may reach the caller.
const (
	endsWithError = "an error event" // a clean end after an error event in the API's format
	endsWhole     = "whole"          // a clean end, nothing added
	endsBroken    = "broken"         // the connection dropped mid-body
)

// Providers that break off in the awkward places: inside an event, inside
// a CRLF, after the terminal event and something trailing it, after a
// terminal event they then went past, with a Content-Type that is wrong or
// missing, with a second candidate still going, in an error answer. The
// caller's stream is judged by what it is, never by what it claims.
func TestProviderBreaksInAwkwardPlaces(t *testing.T) {
	chunk := func(delta string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"` + delta + `"}}]}`
	}
	usageChunk := `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	gemChunk := func(cands string) string {
		return `data: {"candidates":[` + cands + `],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":6,"totalTokenCount":11}}` + "\r\n\r\n"
	}
	const (
		chatPath   = "/v1/chat/completions"
		chatBody   = `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
		hiddenBody = `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		gemPath    = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
		gemBody    = `{"contents":[{"parts":[{"text":"hi"}]}]}`
		gemTwo     = `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":2}}`
	)
	done := []string{chunk("Hello") + "\n\n", usageChunk + "\n\n", "data: [DONE]\n\n"}
	for _, tt := range []struct {
		name, path, body string
		status           int
		contentType      string
		chunks           []string
		want             string
	}{
		{"inside an event", chatPath, chatBody, 200, "text/event-stream", []string{chunk("Hello") + "\n\n", chunk("Wor")[:40]}, endsBroken},
		{"inside a line end", chatPath, chatBody, 200, "text/event-stream", []string{chunk("Hello") + "\n"}, endsBroken},
		{"between CR and LF", chatPath, chatBody, 200, "text/event-stream", []string{chunk("Hello") + "\r\n\r"}, endsWithError},
		{"after the hidden usage chunk", chatPath, hiddenBody, 200, "text/event-stream", []string{chunk("Hello") + "\r\n\r\n", usageChunk + "\r\n\r\n"}, endsWithError},
		{"after [DONE]", chatPath, chatBody, 200, "text/event-stream", done, endsWhole},
		{"after [DONE] and a blank line", chatPath, chatBody, 200, "text/event-stream", append(done[:3:3], "\n"), endsWhole},
		{"after [DONE] and a keep-alive", chatPath, chatBody, 200, "text/event-stream", append(done[:3:3], ": keep-alive\n\n"), endsWhole},
		{"after [DONE] and more content", chatPath, chatBody, 200, "text/event-stream", append(done[:3:3], chunk("more")+"\n\n"), endsWithError},
		{"after a comment only", chatPath, chatBody, 200, "text/event-stream", []string{": OPENROUTER PROCESSING\n\n"}, endsBroken},
		{"SSE served as JSON", gemPath, gemBody, 200, "application/json", []string{gemChunk(`{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"}}`)}, endsWithError},
		{"SSE served untyped", gemPath, gemBody, 200, "", []string{gemChunk(`{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"}}`)}, endsWithError},
		{"one of two candidates finished", gemPath, gemTwo, 200, "text/event-stream", []string{
			gemChunk(`{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"}},{"index":1,"content":{"parts":[{"text":"Hi"}],"role":"model"}}`),
			gemChunk(`{"index":0,"content":{"parts":[{"text":" world"}],"role":"model"},"finishReason":"STOP"}`),
		}, endsWithError},
		{"the only candidate finished", gemPath, gemBody, 200, "text/event-stream", []string{
			gemChunk(`{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP"}`),
		}, endsWhole},
		{"after [DONE] split inside its CRLF", chatPath, chatBody, 200, "text/event-stream", []string{chunk("Hello") + "\r\n\r\n", usageChunk + "\r\n\r\n", "data: [DONE]\r\n\r", "\n"}, endsWhole},
		{"after the last chunk and half of one more", gemPath, gemBody, 200, "text/event-stream", []string{
			gemChunk(`{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP"}`),
			`data: {"candidates":[{"index":0,"content":{"parts":[{"text":" and more"}],"role":"model"}}]}` + "\r\n",
		}, endsBroken},
		{"an error answer", chatPath, chatBody, 500, "text/event-stream", []string{chunk("Hello") + "\n\n"}, endsBroken},
		{"a whole JSON answer", chatPath, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 200, "application/json", []string{
			`{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],`,
			`"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}` + "\n",
		}, endsWhole},
		{"half a JSON answer", chatPath, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 200, "application/json", []string{
			`{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],`,
		}, endsBroken},
		{"a whole JSON array", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", gemBody, 200, "application/json", []string{
			`[{"candidates":[{"index":0,"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1,"totalTokenCount":6}}`,
			"]",
		}, endsWhole},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newLimitsFixtureFor(t, "$100.00", breakingUpstream(tt.status, tt.contentType, tt.chunks...))
			res, err := http.Post(f.base+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			body, readErr := io.ReadAll(res.Body)
			res.Body.Close()
			rec := waitRow(t, f)
			got := endsBroken
			switch {
			case readErr != nil:
			case tt.contentType == "application/json" && json.Valid(body):
				got = endsWhole
			default:
				got = endsWhole
				if strings.Contains(lastEvent(t, body), "broke off its answer") {
					got = endsWithError
				}
			}
			if got != tt.want {
				t.Errorf("the caller's stream ends %s, want %s:\n%q", got, tt.want, tail(body))
			}
			if broke := strings.Contains(rec.Error, "broke off its answer"); broke != (tt.want != endsWhole) || rec.Interrupted != broke {
				t.Errorf("row: interrupted %v, error %q", rec.Interrupted, rec.Error)
			}
			if strings.Contains(string(body), `"usage"`) && tt.body == hiddenBody {
				t.Errorf("the usage chunk the caller did not ask for went out:\n%s", body)
			}
		})
	}
}

// A caller that leaves mid-stream is not a provider breaking off: no error
// on the row, none in the log.
func TestCallerLeavingIsNotAProviderBreak(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x%d\"}}]}\n\n", i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	var logs strings.Builder
	var mu sync.Mutex
	f := newLimitsFixtureLogged(t, "$100.00", up, func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(&logs, format+"\n", args...)
		mu.Unlock()
	})
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", f.base+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Read(make([]byte, 100))
		cancel()
		res.Body.Close()
		rec := waitRow(t, f)
		if !rec.Interrupted || rec.Error != "" {
			t.Errorf("row of a caller that left: interrupted %v, error %q", rec.Interrupted, rec.Error)
		}
		f.sink.mu.Lock()
		f.sink.recs = nil
		f.sink.mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "broke off") {
		t.Errorf("a caller leaving was logged as the provider breaking off:\n%s", logs.String())
	}
}

// A stream the gateway ends for quota is ended in the format its bytes
// are, whatever its Content-Type claimed: a Gemini SSE stream served as
// application/json gets an SSE error event, not a JSON array's ending.
func TestQuotaCutJudgesTheStreamByItsBytes(t *testing.T) {
	text := strings.Repeat("lorem ipsum ", 350) // about 1,000 tokens a chunk
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < 100; i++ {
			_, err := fmt.Fprintf(w, "data: {\"candidates\":[{\"index\":0,\"content\":{\"parts\":[{\"text\":%q}],\"role\":\"model\"}}]}\r\n\r\n", text)
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	f := newLimitsFixtureFor(t, "$0.30", up) // gemma-local: $10 per million output tokens
	body, err := postRead(t, f.base+"/v1beta/models/gemma-local:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if last := lastEvent(t, body); !strings.Contains(last, "quota") || strings.HasSuffix(last, "]") {
		t.Errorf("the stream ends with %.300q", last)
	}
}
