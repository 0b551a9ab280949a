package fakellm

import (
	"strings"
	"testing"
)

func TestAnthropicStreamWire(t *testing.T) {
	_, url := startServer(t, WithUsage(richUsage), WithChunks(2))
	resp := post(t, url+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"respond with: hello"}]}`)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || resp.Header.Get("request-id") == "" {
		t.Errorf("Content-Type %q, request-id %q", ct, resp.Header.Get("request-id"))
	}
	events, _ := readSSE(t, resp.Body, false)
	var names []string
	for _, e := range events {
		names = append(names, e.name)
		if m := decode(t, e.data); at(m, "type") != e.name {
			t.Errorf("event %q carries type %v", e.name, at(m, "type"))
		}
	}
	want := "message_start content_block_start ping content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want {
		t.Errorf("events = %v\nwant %s", names, want)
	}
	start := decode(t, events[0].data)
	if at(start, "message", "usage", "output_tokens") != int64(1) || at(start, "message", "usage", "cache_read_input_tokens") != int64(400) ||
		at(start, "message", "model") != "claude-sonnet-4-5" {
		t.Errorf("message_start = %s", events[0].data)
	}
	delta := decode(t, events[6].data)
	if at(delta, "usage", "output_tokens") != int64(70) || at(delta, "usage", "input_tokens") != int64(50) ||
		at(delta, "delta", "stop_reason") != "end_turn" {
		t.Errorf("message_delta = %s", events[6].data)
	}
}

func TestAnthropicCountTokens(t *testing.T) {
	_, url := startServer(t, WithUsage(Usage{InputTokens: 7, CachedTokens: 3}))
	resp := post(t, url+"/v1/messages/count_tokens", `{"model":"claude","messages":[{"role":"user","content":"hi"}]}`)
	if got := textOrFail(t, resp); got != `{"input_tokens":10}` {
		t.Errorf("count_tokens = %s", got)
	}
}
