package answers

import (
	"bytes"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestReassembleResponses(t *testing.T) {
	created := `{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}}`
	tests := []struct {
		name   string
		events []string
		want   string // canonical JSON
	}{
		{"cut before response.completed: items rebuilt",
			[]string{created,
				`{"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}`,
				`{"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"thought"}]}}`,
				`{"type":"response.output_item.added","output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}`,
				`{"type":"response.content_part.added","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}`,
				`{"type":"response.output_text.delta","output_index":1,"content_index":0,"delta":"Hel"}`,
				`{"type":"response.output_text.delta","output_index":1,"content_index":0,"delta":"lo"}`,
				`{"type":"response.refusal.delta","output_index":1,"content_index":1,"delta":"no"}`,
				`{"type":"response.output_item.added","output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","call_id":"call_1","name":"f","arguments":""}}`,
				`{"type":"response.function_call_arguments.delta","output_index":2,"delta":"{\"a\":"}`,
				`{"type":"response.output_item.added","output_index":3,"item":{"id":"ct_1","type":"custom_tool_call","call_id":"call_2","name":"g","input":""}}`,
				`{"type":"response.custom_tool_call_input.delta","output_index":3,"delta":"free"}`,
			},
			`{"id":"resp_1","object":"response","output":[` +
				`{"id":"rs_1","summary":[{"text":"thought","type":"summary_text"}],"type":"reasoning"},` +
				`{"content":[{"annotations":[],"text":"Hello","type":"output_text"},{"refusal":"no","type":"refusal"}],"id":"msg_1","role":"assistant","status":"in_progress","type":"message"},` +
				`{"arguments":"{\"a\":","call_id":"call_1","id":"fc_1","name":"f","status":"in_progress","type":"function_call"},` +
				`{"call_id":"call_2","id":"ct_1","input":"free","name":"g","type":"custom_tool_call"}],` +
				`"status":"in_progress","usage":null}`},
		{".done events carry the whole text and arguments",
			[]string{created,
				`{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","name":"f","arguments":""}}`,
				`{"type":"response.function_call_arguments.delta","output_index":0,"delta":"{\"a"}`,
				`{"type":"response.function_call_arguments.done","output_index":0,"arguments":"{\"a\":2}"}`,
			},
			`{"id":"resp_1","object":"response","output":[{"arguments":"{\"a\":2}","id":"fc_1","name":"f","type":"function_call"}],"status":"in_progress","usage":null}`},
		{"response.incomplete is final",
			[]string{created,
				`{"type":"response.incomplete","response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}}`,
				`{"type":"response.output_item.added","output_index":0,"item":{"id":"late","type":"message"}}`,
			},
			`{"id":"resp_1","incomplete_details":{"reason":"max_output_tokens"},"output":[],"status":"incomplete"}`},
		{"cut before response.created",
			[]string{`{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","content":[]}}`,
				`{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"x"}`},
			`{"object":"response","output":[{"content":[{"text":"x","type":"output_text"}],"id":"m","type":"message"}]}`},
		{"deltas of unknown items are dropped",
			[]string{created, `{"type":"response.output_text.delta","output_index":4,"content_index":0,"delta":"x"}`},
			`{"id":"resp_1","object":"response","output":[],"status":"in_progress","usage":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(t, Reassemble(config.OpenAIResponses, sse(tt.events...))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestReassembleResponsesCompletedAsIs checks the final response object
// is passed on byte for byte, not re-encoded.
func TestReassembleResponsesCompletedAsIs(t *testing.T) {
	final := `{"id":"resp_1","status":"completed","output":[],"note":"<b>&</b>"}`
	got := Reassemble(config.OpenAIResponses, sse(`{"type":"response.completed","response":`+final+`}`))
	if !bytes.Equal(got, []byte(final)) {
		t.Errorf("got %s, want %s", got, final)
	}
}
