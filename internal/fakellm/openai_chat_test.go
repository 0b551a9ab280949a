package fakellm

import (
	"strings"
	"testing"
)

func TestChatStreamWire(t *testing.T) {
	_, url := startServer(t, WithChunks(3))
	tests := []struct {
		name         string
		body         string
		wantEvents   int // including [DONE]
		includeUsage bool
	}{
		{"without usage", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"respond with: hello"}]}`, 1 + 3 + 1 + 1, false},
		{"include_usage false", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"respond with: hello"}]}`, 1 + 3 + 1 + 1, false},
		{"include_usage", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"respond with: hello"}]}`, 1 + 3 + 1 + 1 + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, url+"/v1/chat/completions", tt.body)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("Content-Type = %q", ct)
			}
			events, _ := readSSE(t, resp.Body, false)
			if len(events) != tt.wantEvents || events[len(events)-1].data != "[DONE]" {
				t.Fatalf("%d events ending %q, want %d ending [DONE]", len(events), events[len(events)-1].data, tt.wantEvents)
			}
			var id any
			for i, e := range events[:len(events)-1] {
				if e.name != "" {
					t.Errorf("event %d has a name %q; chat chunks have none", i, e.name)
				}
				m := decode(t, e.data)
				if i == 0 {
					id = at(m, "id")
				}
				if at(m, "object") != "chat.completion.chunk" || at(m, "id") != id || at(m, "model") != "gpt-4o" {
					t.Errorf("chunk %d = %s", i, e.data)
				}
				_, hasUsage := m["usage"]
				if hasUsage != tt.includeUsage {
					t.Errorf("chunk %d has usage key: %v, want %v", i, hasUsage, tt.includeUsage)
				}
			}
			if tt.includeUsage {
				last := decode(t, events[len(events)-2].data)
				if choices := at(last, "choices").([]any); len(choices) != 0 || at(last, "usage", "total_tokens") != int64(20) {
					t.Errorf("usage chunk = %s", events[len(events)-2].data)
				}
				if prev := decode(t, events[len(events)-3].data); at(prev, "usage") != nil || at(prev, "choices", 0, "finish_reason") != "stop" {
					t.Errorf("finish chunk = %s", events[len(events)-3].data)
				}
			}
		})
	}
}

func TestChatNonStreamWire(t *testing.T) {
	_, url := startServer(t)
	resp := post(t, url+"/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"respond with: hello"}]}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" || resp.ContentLength <= 0 || resp.Header.Get("x-request-id") == "" {
		t.Errorf("Content-Type %q, Content-Length %d, x-request-id %q", ct, resp.ContentLength, resp.Header.Get("x-request-id"))
	}
	body := decode(t, textOrFail(t, resp))
	if at(body, "object") != "chat.completion" || at(body, "model") != "gpt-4o-mini" ||
		at(body, "choices", 0, "message", "content") != "hello" || at(body, "usage", "prompt_tokens") != DefaultUsage.InputTokens {
		t.Errorf("body = %v", body)
	}
}
