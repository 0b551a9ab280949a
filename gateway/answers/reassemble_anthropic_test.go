package answers

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestReassembleAnthropic(t *testing.T) {
	start := `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,` +
		`"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}`
	tests := []struct {
		name   string
		events []string
		want   string // canonical JSON
	}{
		{"usage merged member by member, stop reason from message_delta",
			[]string{start,
				`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}`,
				`{"type":"content_block_stop","index":0}`,
				`{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":42,"cache_read_input_tokens":null}}`,
				`{"type":"message_stop"}`,
			},
			`{"content":[{"text":"Hi there","type":"text"}],"id":"msg_1","model":"claude","role":"assistant","stop_reason":"max_tokens","stop_sequence":null,"type":"message",` +
				`"usage":{"cache_read_input_tokens":5,"input_tokens":10,"output_tokens":42}}`},
		{"citations appended, unparsable input kept as a string",
			[]string{start,
				`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"","citations":[]}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Cited."}}`,
				`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`,
				`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\": tru"}}`,
			},
			`{"content":[{"citations":[{"cited_text":"x","type":"char_location"}],"text":"Cited.","type":"text"},{"id":"t","input":"{\"a\": tru","name":"f","type":"tool_use"}],` +
				`"id":"msg_1","model":"claude","role":"assistant","stop_reason":null,"stop_sequence":null,"type":"message","usage":{"cache_read_input_tokens":5,"input_tokens":10,"output_tokens":1}}`},
		{"cut before message_start, blocks out of order",
			[]string{
				`{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"abc"}}`,
				`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"so"}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`,
				`{"type":"content_block_delta","index":7,"delta":{"type":"text_delta","text":"orphan"}}`,
			},
			`{"content":[{"signature":"sig","thinking":"so","type":"thinking"},{"data":"abc","type":"redacted_thinking"}],"role":"assistant","type":"message"}`},
		{"error event after the start",
			[]string{start, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
			`{"content":[],"id":"msg_1","model":"claude","role":"assistant","stop_reason":null,"stop_sequence":null,"type":"message",` +
				`"usage":{"cache_read_input_tokens":5,"input_tokens":10,"output_tokens":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(t, Reassemble(config.AnthropicMessages, sse(tt.events...))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
