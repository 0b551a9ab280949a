package usage

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// EndsAtTerminal is true only while the last complete event was the
// terminal one and nothing of another event has arrived since (comments
// and blank lines are nothing), however the bytes were split; JSONDone
// only once a JSON answer's closing bracket was read.
func TestEndsAtTheEnd(t *testing.T) {
	const chunk = `data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}` + "\r\n\r\n"
	for _, tt := range []struct {
		name     string
		api      config.API
		body     string
		terminal bool
		jsonDone bool
	}{
		{"before [DONE]", config.OpenAIChat, chunk, false, false},
		{"[DONE]", config.OpenAIChat, chunk + "data: [DONE]\r\n\r\n", true, false},
		{"[DONE] without its blank line", config.OpenAIChat, chunk + "data: [DONE]\r\n", false, false},
		{"[DONE], a comment, a blank line", config.OpenAIChat, chunk + "data: [DONE]\r\n\r\n: keep-alive\r\n\r\n\r\n", true, false},
		{"[DONE], half a comment", config.OpenAIChat, chunk + "data: [DONE]\n\n: keep-al", true, false},
		{"[DONE], then a chunk", config.OpenAIChat, "data: [DONE]\n\n" + chunk, false, false},
		{"[DONE], then half a chunk", config.OpenAIChat, "data: [DONE]\n\n" + chunk[:20], false, false},
		{"[DONE], then an event field", config.OpenAIChat, "data: [DONE]\n\nevent: x\n", false, false},
		{"message_stop", config.AnthropicMessages, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", true, false},
		{"message_stop, then ping", config.AnthropicMessages, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n", false, false},
		{"a JSON answer", config.OpenAIChat, `{"choices":[],"usage":{"prompt_tokens":1}}`, false, true},
		{"half a JSON answer", config.OpenAIChat, `{"choices":[],"usage":{"prompt_tokens":1}`, false, false},
		{"a JSON array", config.GeminiGenerateContent, `[{"candidates":[]}]`, false, true},
		{"a JSON array without its ]", config.GeminiGenerateContent, `[{"candidates":[]}`, false, false},
	} {
		// Every split into two writes, each CRLF cut between its bytes too.
		for i := 0; i <= len(tt.body); i++ {
			e := NewExtractor(tt.api, true)
			e.Write([]byte(tt.body[:i]))
			e.Write([]byte(tt.body[i:]))
			if got := e.EndsAtTerminal(); got != tt.terminal {
				t.Errorf("%s, split at %d (%q): EndsAtTerminal %v, want %v", tt.name, i, tt.body[max(0, i-5):i], got, tt.terminal)
				break
			}
			if got := e.JSONDone(); got != tt.jsonDone {
				t.Errorf("%s, split at %d: JSONDone %v, want %v", tt.name, i, got, tt.jsonDone)
				break
			}
		}
	}
}
