package answers

import (
	"bytes"
	"cmp"
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ToolCall is one tool the model asked to call. Params is always a JSON
// value: the parsed arguments, {} for a call without any, or the
// arguments as a JSON string when they are not JSON (a model's malformed
// arguments, a custom tool's free-form input, or a stream cut mid-call).
type ToolCall struct {
	ID     string          `json:"id,omitempty"`
	Name   string          `json:"name"`
	Params json.RawMessage `json:"params"`
}

// ToolCalls lists the tool calls of an answer, streamed or not, in the
// order the answer has them:
//
//   - OpenAI chat: choices[].message.tool_calls (function calls, with
//     arguments parsed, and custom tool calls, with their input as a
//     string) and the deprecated function_call;
//   - OpenAI responses: output items of type function_call,
//     custom_tool_call and mcp_call (OpenAI's built-in tools, such as
//     web_search_call, name no tool and are not listed);
//   - Anthropic messages: content blocks of type tool_use,
//     server_tool_use and mcp_tool_use, with their input;
//   - Gemini: candidates[].content.parts[].functionCall, with its args.
//
// A stream is reassembled first (see Reassemble), so fragments are joined
// and a call the stream had finished is listed once, as in the
// non-streamed answer; a call a cut stream had begun is listed with what
// arrived of its arguments. An answer with no calls, or unreadable, gives
// nil.
func ToolCalls(api config.API, answer []byte) []ToolCall {
	if !mayCallTools(api, answer) {
		return nil
	}
	return toolCalls(api, answer)
}

// toolCallMarkers are words without which an answer of each API has no
// tool call: the member names or type values every call carries.
var toolCallMarkers = map[config.API][][]byte{
	config.OpenAIChat:            {[]byte("tool_calls"), []byte("function_call")},
	config.OpenAIResponses:       {[]byte("function_call"), []byte("custom_tool_call"), []byte("mcp_call")},
	config.AnthropicMessages:     {[]byte("tool_use")}, // also server_tool_use, mcp_tool_use
	config.GeminiGenerateContent: {[]byte("functionCall")},
}

// mayCallTools reports whether answer can hold a tool call, without
// parsing it: most answers have none, and the webhook worker asks of
// every one. A JSON \u escape can spell a marker's letters, so an answer
// with one is always parsed; the shortcut never changes the result.
func mayCallTools(api config.API, answer []byte) bool {
	if bytes.Contains(answer, []byte(`\u`)) {
		return true
	}
	for _, m := range toolCallMarkers[api] {
		if bytes.Contains(answer, m) {
			return true
		}
	}
	return false
}

// toolCalls is ToolCalls without the shortcut.
func toolCalls(api config.API, answer []byte) []ToolCall {
	o := decodeObject(Reassemble(api, answer))
	if o == nil {
		return nil
	}
	switch api {
	case config.OpenAIChat:
		return chatToolCalls(o)
	case config.OpenAIResponses:
		return responsesToolCalls(o)
	case config.AnthropicMessages:
		return anthropicToolCalls(o)
	case config.GeminiGenerateContent:
		return geminiToolCalls(o)
	}
	return nil
}

// chatToolCalls reads a chat.completion's calls.
func chatToolCalls(o object) []ToolCall {
	var out []ToolCall
	for _, ch := range o.objects("choices") {
		var m struct {
			ToolCalls    []json.RawMessage `json:"tool_calls"`
			FunctionCall *chatFunction     `json:"function_call"`
		}
		_ = json.Unmarshal(ch["message"], &m)
		for _, raw := range m.ToolCalls {
			var tc chatToolCall
			_ = json.Unmarshal(raw, &tc)
			switch {
			case tc.Function != nil:
				out = append(out, ToolCall{ID: tc.ID, Name: tc.Function.Name, Params: jsonValue(tc.Function.Arguments)})
			case tc.Custom != nil:
				out = append(out, ToolCall{ID: tc.ID, Name: tc.Custom.Name, Params: marshal(tc.Custom.Input)})
			}
		}
		if f := m.FunctionCall; f != nil {
			out = append(out, ToolCall{Name: f.Name, Params: jsonValue(f.Arguments)})
		}
	}
	return out
}

// responsesToolCalls reads a Responses response's calls.
func responsesToolCalls(o object) []ToolCall {
	var out []ToolCall
	for _, item := range o.objects("output") {
		id := cmp.Or(item.str("call_id"), item.str("id"))
		switch item.str("type") {
		case "function_call", "mcp_call":
			out = append(out, ToolCall{ID: id, Name: item.str("name"), Params: jsonValue(item.str("arguments"))})
		case "custom_tool_call":
			out = append(out, ToolCall{ID: id, Name: item.str("name"), Params: marshal(item.str("input"))})
		}
	}
	return out
}

// anthropicToolCalls reads a Messages message's calls.
func anthropicToolCalls(o object) []ToolCall {
	var out []ToolCall
	for _, b := range o.objects("content") {
		switch b.str("type") {
		case "tool_use", "server_tool_use", "mcp_tool_use":
			out = append(out, ToolCall{ID: b.str("id"), Name: b.str("name"), Params: params(b["input"])})
		}
	}
	return out
}

// geminiToolCalls reads a GenerateContentResponse's calls.
func geminiToolCalls(o object) []ToolCall {
	var out []ToolCall
	for _, c := range o.objects("candidates") {
		for _, p := range c.obj("content").objects("parts") {
			if fc := p.obj("functionCall"); fc != nil {
				out = append(out, ToolCall{ID: fc.str("id"), Name: fc.str("name"), Params: params(fc["args"])})
			}
		}
	}
	return out
}

// params is an already parsed arguments value, {} when absent or null.
func params(v json.RawMessage) json.RawMessage {
	if len(v) == 0 || isNull(v) {
		return json.RawMessage("{}")
	}
	return jsonValue(string(v))
}
