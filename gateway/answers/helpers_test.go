package answers

import (
	"bytes"
	"encoding/json"
	"github.com/go-json-experiment/json/jsontext"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/internal/fakellm"
)

// fakeReply is the answer text of fakellm answers in these tests:
// multi-byte runes, so deltas cut inside a word and a rune's neighbours.
const fakeReply = "Bonjour ! Il fait 21 °C à Paris — ensoleillé, 😀 pas de pluie prévue."

// fakeUsage is the usage fakellm reports, reasoning included, so the
// Anthropic usage merge and Gemini's thoughts count are exercised.
var fakeUsage = fakellm.Usage{InputTokens: 40, OutputTokens: 30, CachedTokens: 100, CacheCreationTokens: 20, ReasoningTokens: 5}

// fakeRequest is one request to fakellm, streamed and not.
type fakeRequest struct {
	name               string
	api                config.API
	path, streamPath   string
	body, streamBody   string
	streamContentStart string // what the streamed body begins with
}

// fakeRequests asks each API for the same answer, streamed and not; both
// Gemini stream framings are there.
var fakeRequests = []fakeRequest{
	{"chat", config.OpenAIChat, "/v1/chat/completions", "/v1/chat/completions",
		`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, "data:"},
	{"responses", config.OpenAIResponses, "/v1/responses", "/v1/responses",
		`{"model":"gpt-4.1","store":false,"input":"hi"}`,
		`{"model":"gpt-4.1","store":false,"stream":true,"input":"hi"}`, "event:"},
	{"anthropic", config.AnthropicMessages, "/v1/messages", "/v1/messages",
		`{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "event:"},
	{"gemini sse", config.GeminiGenerateContent, "/v1beta/models/gemini-2.5-pro:generateContent",
		"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
		`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "data:"},
	{"gemini array", config.GeminiGenerateContent, "/v1beta/models/gemini-2.5-pro:generateContent",
		"/v1beta/models/gemini-2.5-pro:streamGenerateContent",
		`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "["},
}

// newFake is a fakellm answering fakeReply in many small deltas.
func newFake(opts ...fakellm.Option) *fakellm.Server {
	return fakellm.New(append([]fakellm.Option{fakellm.WithReply(fakeReply), fakellm.WithChunks(25), fakellm.WithUsage(fakeUsage)}, opts...)...)
}

// fakeAnswer sends body to path on fake, in process, and returns the
// answer bytes as the gateway would have relayed them.
func fakeAnswer(t testing.TB, fake *fakellm.Server, path, body string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	fake.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("fakellm %s answered %d: %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// fixture is a provider's documented answer in testdata: the whole
// answer and the same answer streamed.
type fixture struct {
	name   string
	api    config.API
	whole  string // file of the non-streamed answer
	stream string // file of the streamed one
}

var fixtures = []fixture{
	{"chat tools", config.OpenAIChat, "chat_tools.json", "chat_tools.sse"},
	{"responses tools", config.OpenAIResponses, "responses_tools.json", "responses_tools.sse"},
	{"anthropic thinking and tools", config.AnthropicMessages, "anthropic_tools.json", "anthropic_tools.sse"},
	{"gemini tools sse", config.GeminiGenerateContent, "gemini_tools.json", "gemini_tools.sse"},
	{"gemini tools array", config.GeminiGenerateContent, "gemini_tools.json", "gemini_tools.stream.json"},
}

// readFixture reads a testdata file.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary is what an answer says, read from the non-streamed shape of
// its API: equal summaries mean a reassembled stream reads as the
// non-streamed answer does, whatever the ids and timestamps.
type summary struct {
	Model    string
	Text     string // the answer's text, thinking excluded
	Thinking string
	Stop     string
	Usage    string // canonical JSON
	Tools    []ToolCall
}

// summarize reads a non-streamed answer of api.
func summarize(t testing.TB, api config.API, answer json.RawMessage) summary {
	t.Helper()
	o := decodeObject(answer)
	if o == nil {
		t.Fatalf("not a JSON object: %.200s", answer)
	}
	s := summary{Usage: canonical(t, o["usage"]), Tools: ToolCalls(api, answer)}
	switch api {
	case config.OpenAIChat:
		s.Model = o.str("model")
		for _, ch := range o.objects("choices") {
			m := ch.obj("message")
			s.Text += m.str("content")
			s.Thinking += m.str("reasoning_content")
			s.Stop = ch.str("finish_reason")
		}
	case config.OpenAIResponses:
		s.Model, s.Stop = o.str("model"), o.str("status")
		for _, item := range o.objects("output") {
			for _, p := range item.objects("content") {
				if p.str("type") == "output_text" {
					s.Text += p.str("text")
				}
			}
		}
	case config.AnthropicMessages:
		s.Model, s.Stop = o.str("model"), o.str("stop_reason")
		for _, b := range o.objects("content") {
			s.Text += b.str("text")
			s.Thinking += b.str("thinking")
		}
	case config.GeminiGenerateContent:
		s.Model, s.Usage = o.str("modelVersion"), canonical(t, o["usageMetadata"])
		for _, c := range o.objects("candidates") {
			s.Stop = c.str("finishReason")
			for _, p := range c.obj("content").objects("parts") {
				if isThought(p) {
					s.Thinking += p.str("text")
				} else {
					s.Text += p.str("text")
				}
			}
		}
	}
	return s
}

// canonical re-encodes JSON with sorted keys ("" for absent or null).
func canonical(t testing.TB, b json.RawMessage) string {
	t.Helper()
	if len(b) == 0 || isNull(b) {
		return ""
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// eventEnds are the offsets in a stream where an event has just ended:
// after each SSE blank line, and before each "," or "]" that follows an
// element of a JSON-array stream.
func eventEnds(body []byte) []int {
	var ends []int
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		dec := jsontext.NewDecoder(bytes.NewReader(body))
		if _, err := dec.ReadToken(); err != nil { // the array's '['
			return nil
		}
		for dec.PeekKind() == '{' {
			if err := dec.SkipValue(); err != nil {
				break
			}
			ends = append(ends, int(dec.InputOffset()))
		}
		return ends
	}
	for i := range body {
		if bytes.HasSuffix(body[:i+1], []byte("\n\n")) || bytes.HasSuffix(body[:i+1], []byte("\r\n\r\n")) {
			ends = append(ends, i+1)
		}
	}
	return ends
}
