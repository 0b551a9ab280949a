//go:build !race

// The race detector adds allocations and drops sync.Pool items at random,
// so allocation counts are checked without it.

package usage

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// TestCreatedResponseIDAllocates: every created response is read for its
// id; the reader is recycled, so reading a JSON answer takes only the id
// string (a fresh jsontext.Decoder built its stacks each time: 9).
func TestCreatedResponseIDAllocates(t *testing.T) {
	answer := []byte(`{"id":"resp_abc","object":"response","created_at":1,"status":"completed","model":"gpt-4o",` +
		`"output":[{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"hello"}]}],` +
		`"metadata":{"k":"v"},"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}`)
	CreatedResponseID(answer) // fill the pool
	if n := testing.AllocsPerRun(100, func() { CreatedResponseID(answer) }); n > 1 {
		t.Errorf("%v allocations, want at most 1 (9 before)", n)
	}
}

// TestExtractorJSONAllocates: every non-streamed answer is metered; the
// wanted member names are shared and the captured usage object's buffer
// is made once, not doubled from eight bytes.
func TestExtractorJSONAllocates(t *testing.T) {
	answer := []byte(`{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"hello from the benchmark"},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,` +
		`"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
		`"service_tier":"default"}`)
	var u Usage
	n := testing.AllocsPerRun(100, func() {
		e := NewExtractor(config.OpenAIChat, false)
		e.Write(answer)
		e.Finish(true)
		u = e.Result()
	})
	if u.InputTokens != 12 || u.OutputTokens != 5 {
		t.Fatalf("usage = %+v", u)
	}
	if n > 8 {
		t.Errorf("%v allocations, want at most 8 (15 before)", n)
	}
}

// TestUsageChunkFilterAllocates: every chat stream a client did not ask
// usage for passes the filter; a chunk of many events is written with
// one buffer made for it, not one doubled event by event (17 before).
func TestUsageChunkFilterAllocates(t *testing.T) {
	var chunk []byte
	for i := range 40 {
		chunk = fmt.Appendf(chunk, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word %d \"}}]}\n\n", i)
	}
	chunk = append(chunk, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":40}}\n\ndata: [DONE]\n\n"...)
	var out bytes.Buffer
	out.Grow(2 * len(chunk))
	n := testing.AllocsPerRun(100, func() {
		out.Reset()
		f := NewUsageChunkFilter(&out)
		f.Write(chunk)
		f.Close()
	})
	if bytes.Contains(out.Bytes(), []byte(`"usage"`)) || !bytes.HasSuffix(out.Bytes(), []byte("data: [DONE]\n\n")) {
		t.Fatalf("filtered stream:\n%s", out.Bytes())
	}
	if n > 9 {
		t.Errorf("%v allocations, want at most 9", n)
	}
}

// TestFastUsageDecodersAllocate: the usage objects of every answer are
// decoded with a lexer on the stack (it escaped through the decoder's
// member callback: one allocation an answer); only the nested objects
// and the pointer fields the usage types keep are allocated.
func TestFastUsageDecodersAllocate(t *testing.T) {
	chat := []byte(`{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}`)
	responses := []byte(`{"input_tokens":5,"output_tokens":2,"total_tokens":7}`)
	for _, tt := range []struct {
		name string
		f    func() bool
	}{
		{"chat", func() bool { var w openAIChatUsage; return fastChatUsage(chat, &w) }},
		{"responses", func() bool { var w responsesUsage; return fastResponsesUsage(responses, &w) }},
	} {
		if !tt.f() {
			t.Fatalf("%s: not decoded", tt.name)
		}
		if n := testing.AllocsPerRun(100, func() { tt.f() }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}
