package ui

import (
	"reflect"
	"testing"
)

func TestToolCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []toolCall
	}{
		{"anthropic", `{"content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]}`,
			[]toolCall{{ID: "toolu_1", Name: "get_weather", Args: "{\n  \"city\": \"Paris\"\n}"}}},
		{"anthropic stream", "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"ls\",\"input\":{}}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\":\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"/tmp\\\"}\"}}\n\n",
			[]toolCall{{ID: "toolu_2", Name: "ls", Args: "{\n  \"path\": \"/tmp\"\n}"}}},
		{"openai chat", `{"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\":1}"}}]}}]}`,
			[]toolCall{{ID: "call_1", Name: "add", Args: "{\n  \"a\": 1\n}"}}},
		{"openai chat stream", "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"function\":{\"name\":\"add\",\"arguments\":\"\"}}]}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"2}\"}}]}}]}\n\ndata: [DONE]\n\n",
			[]toolCall{{ID: "call_9", Name: "add", Args: "{\n  \"a\": 2\n}"}}},
		{"responses", `{"output":[{"type":"reasoning"},{"type":"function_call","call_id":"fc_1","name":"search","arguments":"{\"q\":\"x\"}"}]}`,
			[]toolCall{{ID: "fc_1", Name: "search", Args: "{\n  \"q\": \"x\"\n}"}}},
		{"responses stream, item then completed: once", "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"item\":{\"type\":\"function_call\",\"call_id\":\"fc_2\",\"name\":\"s\",\"arguments\":\"{}\"}}\n\n" +
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":\"function_call\",\"call_id\":\"fc_2\",\"name\":\"s\",\"arguments\":\"{}\"}]}}\n\n",
			[]toolCall{{ID: "fc_2", Name: "s", Args: "{}"}}},
		{"gemini", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"lookup","args":{"id":7}}}]}}]}`,
			[]toolCall{{Name: "lookup", Args: "{\n  \"id\": 7\n}"}}},
		{"unparsable arguments as written", `{"choices":[{"message":{"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}}]}`,
			[]toolCall{{ID: "c", Name: "f", Args: `{"a":`}}},
		{"gemini stream as a JSON array", `[{"candidates":[{"content":{"parts":[{"text":"x"}]}}]},{"candidates":[{"content":{"parts":[{"functionCall":{"name":"now"}}]}}]}]`,
			[]toolCall{{Name: "now", Args: "{}"}}},
		{"no tools", `{"choices":[{"message":{"content":"hello"}}]}`, nil},
		{"not json", "garbage", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toolCalls([]byte(tt.body)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}
