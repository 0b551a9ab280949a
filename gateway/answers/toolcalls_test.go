package answers

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// weather and localTime are the calls of the testdata fixtures.
var (
	weather   = ToolCall{Name: "get_weather", Params: json.RawMessage(`{"location":"Paris, France"}`)}
	localTime = ToolCall{ID: "call_9pJsEAYuxt4DJgw3YdjvMzCa", Name: "get_local_time", Params: json.RawMessage(`{"timezone":"Europe/Paris"}`)}
)

func withID(tc ToolCall, id string) ToolCall { tc.ID = id; return tc }

// TestToolCallsFixtures reads the calls of each documented answer, whole
// and streamed.
func TestToolCallsFixtures(t *testing.T) {
	want := map[string][]ToolCall{
		"chat tools":                   {withID(weather, "call_DdmO9pD3xa9XTPNJ32zg2hcA"), localTime},
		"responses tools":              {withID(weather, "call_12345xyz")},
		"anthropic thinking and tools": {withID(weather, "toolu_01T1x1fJ34qAmk2tNTrN7Up6")},
		"gemini tools sse":             {weather},
		"gemini tools array":           {weather},
	}
	for _, fx := range fixtures {
		for _, file := range []string{fx.whole, fx.stream} {
			t.Run(file, func(t *testing.T) {
				if got := ToolCalls(fx.api, readFixture(t, file)); !reflect.DeepEqual(got, want[fx.name]) {
					t.Errorf("got  %s\nwant %s", show(got), show(want[fx.name]))
				}
			})
		}
	}
}

// TestToolCalls covers the shapes the fixtures do not.
func TestToolCalls(t *testing.T) {
	tests := []struct {
		name   string
		api    config.API
		answer string
		want   string // the calls as JSON; "null" for none
	}{
		{"chat legacy function_call", config.OpenAIChat,
			`{"choices":[{"message":{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"a\":1}"}}}]}`,
			`[{"name":"f","params":{"a":1}}]`},
		{"chat custom tool", config.OpenAIChat,
			`{"choices":[{"message":{"tool_calls":[{"id":"call_1","type":"custom","custom":{"name":"sql","input":"SELECT 1"}}]}}]}`,
			`[{"id":"call_1","name":"sql","params":"SELECT 1"}]`},
		{"chat unparsable arguments kept as a string", config.OpenAIChat,
			`{"choices":[{"message":{"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}}]}`,
			`[{"id":"c","name":"f","params":"{\"a\":"}]`},
		{"chat empty arguments", config.OpenAIChat,
			`{"choices":[{"message":{"tool_calls":[{"id":"c","type":"function","function":{"name":"now","arguments":""}}]}}]}`,
			`[{"id":"c","name":"now","params":{}}]`},
		{"chat stream without indexes", config.OpenAIChat,
			"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"x\",\"arguments\":\"{}\"}},{\"id\":\"b\",\"function\":{\"name\":\"y\",\"arguments\":\"[1]\"}}]}}]}\n\ndata: [DONE]\n\n",
			`[{"id":"a","name":"x","params":{}},{"id":"b","name":"y","params":[1]}]`},
		{"chat two choices", config.OpenAIChat,
			`{"choices":[{"index":0,"message":{"tool_calls":[{"id":"a","function":{"name":"x","arguments":"{}"}}]}},{"index":1,"message":{"tool_calls":[{"id":"b","function":{"name":"x","arguments":"{}"}}]}}]}`,
			`[{"id":"a","name":"x","params":{}},{"id":"b","name":"x","params":{}}]`},
		{"responses custom and mcp, not web search", config.OpenAIResponses,
			`{"output":[{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"x"}},` +
				`{"type":"custom_tool_call","id":"ctc_1","call_id":"call_1","name":"grammar","input":"a b c"},` +
				`{"type":"mcp_call","id":"mcp_1","name":"roll","server_label":"dice","arguments":"{\"sides\":6}"}]}`,
			`[{"id":"call_1","name":"grammar","params":"a b c"},{"id":"mcp_1","name":"roll","params":{"sides":6}}]`},
		{"anthropic server and mcp tools", config.AnthropicMessages,
			`{"content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},` +
				`{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},` +
				`{"type":"mcp_tool_use","id":"mcptoolu_1","name":"echo","server_name":"s","input":{}},{"type":"tool_use","id":"t","name":"n"}]}`,
			`[{"id":"srvtoolu_1","name":"web_search","params":{"query":"x"}},{"id":"mcptoolu_1","name":"echo","params":{}},{"id":"t","name":"n","params":{}}]`},
		{"anthropic stream cut inside the input", config.AnthropicMessages,
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"ls\",\"input\":{}}}\n\n" +
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"/t\"}}\n\n",
			`[{"id":"t","name":"ls","params":"{\"path\": \"/t"}]`},
		{"gemini call with id, two candidates", config.GeminiGenerateContent,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"id":"fc1","name":"a","args":{"x":1}}}]}},{"content":{"parts":[{"functionCall":{"name":"b"}}]},"index":1}]}`,
			`[{"id":"fc1","name":"a","params":{"x":1}},{"name":"b","params":{}}]`},
		{"escaped marker", config.AnthropicMessages,
			`{"content":[{"type":"tool\u005fuse","id":"t","name":"n","input":{}}]}`,
			`[{"id":"t","name":"n","params":{}}]`},
		{"no tools", config.OpenAIChat, `{"choices":[{"message":{"content":"hello"}}]}`, "null"},
		{"other API's answer", config.GeminiGenerateContent, `{"content":[{"type":"tool_use","id":"t","name":"n","input":{}}]}`, "null"},
		{"unknown API", config.API("bedrock"), `{"content":[{"type":"tool_use","id":"t","name":"n","input":{}}]}`, "null"},
		{"not json", config.OpenAIChat, "garbage tool_calls", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(ToolCalls(tt.api, []byte(tt.answer))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// show is calls as JSON, the way a hook receives them.
func show(calls []ToolCall) string { return string(marshal(calls)) }

// FuzzToolCalls checks that every call's params are one JSON value, and
// that the shortcut for answers without tool words never changes the
// result.
func FuzzToolCalls(f *testing.F) {
	for _, sc := range fuzzSeeds(f) {
		f.Add(apiIndex(sc.api), sc.body)
	}
	for _, fx := range fixtures {
		f.Add(apiIndex(fx.api), readFixture(f, fx.whole))
	}
	f.Add(apiIndex(config.AnthropicMessages), []byte(`{"content":[{"type":"tool\u005fuse","name":"n","input":[]}]}`))
	f.Fuzz(func(t *testing.T, api uint8, answer []byte) {
		a := fuzzAPI(api)
		got := ToolCalls(a, answer)
		for _, tc := range got {
			if !json.Valid(tc.Params) {
				t.Fatalf("%s: params %q are not JSON", a, tc.Params)
			}
		}
		if slow := toolCalls(a, answer); !reflect.DeepEqual(got, slow) {
			t.Fatalf("%s: shortcut gives %s, parsing gives %s", a, show(got), show(slow))
		}
	})
}
