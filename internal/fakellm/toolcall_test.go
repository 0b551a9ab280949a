package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"
)

// toolArgs has what compaction must keep and escaping must survive: white
// space to drop, a nested object and list, quotes and a non-ASCII rune.
const toolArgs = `{"city": "Paris", "when": {"days": [1, 2]}, "note": "a \"quoted\" wörd"}`

// toolArgsCompact is toolArgs as every API carries it.
const toolArgsCompact = `{"city":"Paris","when":{"days":[1,2]},"note":"a \"quoted\" wörd"}`

// toolAnswer is what one answer says, read from the raw JSON the way a
// client joins it.
type toolAnswer struct {
	text      string
	name      string
	id        string // the call's ID where the API has one
	args      string // the arguments, joined from their fragments
	fragments int    // how many pieces the arguments came in
	stop      string // finish or stop reason ("completed" for Responses)
	output    int64  // the output tokens reported
	toolIndex int64  // index of the tool part among the answer's parts
}

// toolAPIs are the generation endpoints, streamed and not; read parses
// the body of one answer.
var toolAPIs = []struct {
	name, path string
	stream     bool
	read       func(t *testing.T, body []byte, stream bool) toolAnswer
	wantStop   string
	idPrefix   string
}{
	{"chat", "/v1/chat/completions", false, readChatTool, "tool_calls", "call_"},
	{"chat stream", "/v1/chat/completions", true, readChatTool, "tool_calls", "call_"},
	{"responses", "/v1/responses", false, readResponsesTool, "completed", "call_"},
	{"responses stream", "/v1/responses", true, readResponsesTool, "completed", "call_"},
	{"anthropic", "/v1/messages", false, readAnthropicTool, "tool_use", "toolu_"},
	{"anthropic stream", "/v1/messages", true, readAnthropicTool, "tool_use", "toolu_"},
	{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent", false, readGeminiTool, "STOP", ""},
	{"gemini sse", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", true, readGeminiTool, "STOP", ""},
	{"gemini array", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", true, readGeminiJSONArrayTool, "STOP", ""},
}

// toolRequest is a request body for path with prompt as the user's text.
func toolRequest(path, prompt string, stream bool) string {
	p, _ := json.Marshal(prompt)
	switch {
	case strings.HasPrefix(path, "/v1/chat"):
		return `{"model":"gpt-4o","stream":` + boolJSON(stream) + `,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":` + string(p) + `}]}`
	case strings.HasPrefix(path, "/v1/responses"):
		return `{"model":"gpt-4o","stream":` + boolJSON(stream) + `,"input":` + string(p) + `}`
	case strings.HasPrefix(path, "/v1/messages"):
		return `{"model":"claude-sonnet-4-5","max_tokens":100,"stream":` + boolJSON(stream) + `,"messages":[{"role":"user","content":` + string(p) + `}]}`
	}
	return `{"contents":[{"role":"user","parts":[{"text":` + string(p) + `}]}]}`
}

func boolJSON(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestToolCallEveryAPI(t *testing.T) {
	s, url := startServer(t, WithToolCall("get_weather", toolArgs), WithUsage(Usage{InputTokens: 100, OutputTokens: 20}))
	modes := []struct {
		name     string
		reply    string
		prompt   string
		wantText string
		index    int64 // where the tool part sits: after the text, or first
	}{
		{"text then tool", DefaultReply, "respond with: Let me check.", "Let me check.", 1},
		{"tool only", "", "what is the weather?", "", 0},
	}
	for _, m := range modes {
		for _, api := range toolAPIs {
			t.Run(m.name+"/"+api.name, func(t *testing.T) {
				s.SetReply(m.reply)
				resp := post(t, url+api.path, toolRequest(api.path, m.prompt, api.stream))
				body, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
				}
				got := api.read(t, body, api.stream)
				if got.text != m.wantText {
					t.Errorf("text = %q, want %q", got.text, m.wantText)
				}
				if got.name != "get_weather" {
					t.Errorf("tool name = %q, want get_weather", got.name)
				}
				// OpenAI carries the arguments as text: exactly the compact form.
				if strings.HasPrefix(api.path, "/v1/chat") || strings.HasPrefix(api.path, "/v1/responses") {
					if got.args != toolArgsCompact {
						t.Errorf("arguments = %s, want %s", got.args, toolArgsCompact)
					}
				}
				if !sameJSON(t, got.args, toolArgs) {
					t.Errorf("arguments %s do not decode to %s", got.args, toolArgs)
				}
				if !strings.HasPrefix(got.id, api.idPrefix) || (api.idPrefix != "" && len(got.id) <= len(api.idPrefix)) {
					t.Errorf("call id = %q, want %s…", got.id, api.idPrefix)
				}
				// Streams split the arguments (Gemini sends a call whole).
				wantSplit := api.stream && !strings.Contains(api.path, "/models/")
				if split := got.fragments > 1; split != wantSplit || got.fragments == 0 {
					t.Errorf("arguments in %d fragments, want split %v", got.fragments, wantSplit)
				}
				if got.stop != api.wantStop {
					t.Errorf("stop reason = %q, want %q", got.stop, api.wantStop)
				}
				if got.output != 20 {
					t.Errorf("output tokens = %d, want 20 as SetUsage says", got.output)
				}
				if got.toolIndex != m.index {
					t.Errorf("tool part at index %d, want %d", got.toolIndex, m.index)
				}
			})
		}
	}
}

// TestToolCallOff checks that without a tool call nothing of one leaks
// into any answer, and that SetToolCall("") turns it off again.
func TestToolCallOff(t *testing.T) {
	s, url := startServer(t, WithUsage(Usage{InputTokens: 100, OutputTokens: 20}))
	stops := map[string]string{"tool_calls": "stop", "tool_use": "end_turn", "completed": "completed", "STOP": "STOP"}
	for _, phase := range []string{"never set", "set then cleared"} {
		if phase == "set then cleared" {
			if err := s.SetToolCall("get_weather", toolArgs); err != nil {
				t.Fatal(err)
			}
			if err := s.SetToolCall("", ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, api := range toolAPIs {
			t.Run(phase+"/"+api.name, func(t *testing.T) {
				resp := post(t, url+api.path, toolRequest(api.path, "respond with: hi", api.stream))
				body, _ := io.ReadAll(resp.Body)
				got := api.read(t, body, api.stream)
				if got.text != "hi" || got.name != "" || got.args != "" || got.stop != stops[api.wantStop] {
					t.Errorf("answer = %+v, want text hi, no tool, stop %q", got, stops[api.wantStop])
				}
			})
		}
	}
}

func TestToolCallFromPrompt(t *testing.T) {
	_, url := startServer(t, WithToolCall("from_setting", `{}`))
	tests := []struct {
		name, prompt string
		status       int
		wantName     string
		wantArgs     string
	}{
		{"setting", "hi", 200, "from_setting", `{}`},
		{"prompt wins", "respond with: ok\ncall tool: lookup {\"q\": \"x\"}", 200, "lookup", `{"q":"x"}`},
		{"no arguments", "Call Tool: ping", 200, "ping", `{}`},
		{"last line wins", "call tool: a {}\ncall tool: b {\"n\":1}", 200, "b", `{"n":1}`},
		{"not an object", "call tool: lookup [1,2]", 400, "", ""},
		{"not JSON", "call tool: lookup {oops", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, url+"/v1/messages", toolRequest("/v1/messages", tt.prompt, false))
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if e := at(decode(t, string(body)), "error", "type"); e != "invalid_request_error" {
					t.Errorf("error type = %v, want invalid_request_error", e)
				}
				return
			}
			got := readAnthropicTool(t, body, false)
			if got.name != tt.wantName || got.args != tt.wantArgs {
				t.Errorf("tool call = %s(%s), want %s(%s)", got.name, got.args, tt.wantName, tt.wantArgs)
			}
		})
	}
}

func TestToolCallArgsMustBeObject(t *testing.T) {
	tests := []struct {
		args string
		ok   bool
	}{
		{`{"a":1}`, true},
		{``, true},
		{` {} `, true},
		{`[1]`, false},
		{`"x"`, false},
		{`{"a":`, false},
		{`{} {}`, false},
	}
	s := New()
	for _, tt := range tests {
		if err := s.SetToolCall("f", tt.args); (err == nil) != tt.ok {
			t.Errorf("SetToolCall(f, %q) = %v, want ok %v", tt.args, err, tt.ok)
		}
	}
	if err := s.SetToolCall("", "not json"); err != nil {
		t.Errorf("SetToolCall with no name (off) = %v, want nil", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("WithToolCall with array arguments did not panic")
		}
	}()
	WithToolCall("f", `[1]`)
}

// TestToolCallStoredResponse checks GET /v1/responses/{id} repeats the
// function call the response was created with.
func TestToolCallStoredResponse(t *testing.T) {
	_, url := startServer(t, WithToolCall("get_weather", toolArgs))
	created := post(t, url+"/v1/responses", toolRequest("/v1/responses", "hi", false))
	body, _ := io.ReadAll(created.Body)
	want := readResponsesTool(t, body, false)
	id, _ := at(decode(t, string(body)), "id").(string)
	resp, err := http.Get(url + "/v1/responses/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	if got := readResponsesTool(t, body, false); got != want || got.name != "get_weather" {
		t.Errorf("GET = %+v\nwant %+v", got, want)
	}
}

func TestToolCallSDKOpenAIChat(t *testing.T) {
	_, url := startServer(t, WithToolCall("get_weather", toolArgs))
	client := openAIClient(url, 0)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("respond with: checking")},
	}
	resp, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	msg := resp.Choices[0].Message
	if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_weather" ||
		msg.ToolCalls[0].Function.Arguments != toolArgsCompact || resp.Choices[0].FinishReason != "tool_calls" || msg.Content != "checking" {
		t.Errorf("message = %+v, finish %q", msg, resp.Choices[0].FinishReason)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	var finished []openai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(finished) != 1 || finished[0].Name != "get_weather" || finished[0].Arguments != toolArgsCompact || !strings.HasPrefix(finished[0].ID, "call_") {
		t.Errorf("finished tool calls = %+v", finished)
	}
	got := acc.Choices[0].Message
	if len(got.ToolCalls) != 1 || got.ToolCalls[0].Function.Arguments != toolArgsCompact || got.Content != "checking" || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("accumulated message = %+v, finish %q", got, acc.Choices[0].FinishReason)
	}
}

func TestToolCallSDKOpenAIResponses(t *testing.T) {
	_, url := startServer(t, WithToolCall("get_weather", toolArgs))
	client := openAIClient(url, 0)
	ctx := context.Background()
	params := responses.ResponseNewParams{Model: "gpt-4o", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("respond with: checking")}}
	fnCall := func(r *responses.Response) responses.ResponseFunctionToolCall {
		for _, item := range r.Output {
			if item.Type == "function_call" {
				return item.AsFunctionCall()
			}
		}
		return responses.ResponseFunctionToolCall{}
	}
	resp, err := client.Responses.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if fc := fnCall(resp); fc.Name != "get_weather" || fc.Arguments != toolArgsCompact || !strings.HasPrefix(fc.CallID, "call_") || fc.Status != "completed" || resp.OutputText() != "checking" {
		t.Errorf("function call = %+v, text %q", fc, resp.OutputText())
	}

	// The SDK's accumulator takes the same events over a WebSocket; fed the
	// SSE events, it must put the argument deltas together before
	// response.completed restates the item.
	stream := client.Responses.NewStreaming(ctx, params)
	var acc responses.ResponseAccumulator
	var beforeDone string
	for stream.Next() {
		ev := stream.Current()
		var sev responses.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &sev); err != nil {
			t.Fatalf("event %s: %v", ev.Type, err)
		}
		if err := acc.AddEvent(sev); err != nil {
			t.Fatalf("AddEvent %s: %v", ev.Type, err)
		}
		if ev.Type == "response.function_call_arguments.delta" {
			snap := acc.Snapshot()
			beforeDone = snap.Output[len(snap.Output)-1].Arguments
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if beforeDone != toolArgsCompact {
		t.Errorf("arguments accumulated from deltas = %s, want %s", beforeDone, toolArgsCompact)
	}
	final, err := acc.ReconstructedResponse()
	if err != nil {
		t.Fatalf("ReconstructedResponse: %v", err)
	}
	if fc := fnCall(final); fc.Name != "get_weather" || fc.Arguments != toolArgsCompact || final.OutputText() != "checking" {
		t.Errorf("reconstructed function call = %+v, text %q", fc, final.OutputText())
	}
}

func TestToolCallSDKAnthropic(t *testing.T) {
	_, url := startServer(t, WithToolCall("get_weather", toolArgs))
	client := anthropicClient(url, "sk-ant-test")
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("respond with: checking"))},
	}
	check := func(what string, m anthropic.Message) {
		t.Helper()
		if len(m.Content) != 2 || m.Content[0].Text != "checking" || m.Content[1].Type != "tool_use" ||
			m.Content[1].Name != "get_weather" || !strings.HasPrefix(m.Content[1].ID, "toolu_") || m.StopReason != anthropic.StopReasonToolUse {
			t.Errorf("%s: content = %+v, stop %q", what, m.Content, m.StopReason)
			return
		}
		if !sameJSON(t, string(m.Content[1].Input), toolArgs) {
			t.Errorf("%s: input = %s, want %s", what, m.Content[1].Input, toolArgs)
		}
	}
	msg, err := client.Messages.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	check("New", *msg)

	stream := client.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatalf("Accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	check("Accumulate", acc)
}

func TestToolCallSDKGemini(t *testing.T) {
	_, url := startServer(t, WithToolCall("get_weather", toolArgs))
	client := geminiClient(t, url, "AIza-test")
	ctx := context.Background()
	var want map[string]any
	if err := json.Unmarshal([]byte(toolArgs), &want); err != nil {
		t.Fatal(err)
	}
	contents := genai.Text("respond with: checking")
	resp, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", contents, nil)
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	calls := resp.FunctionCalls()
	if len(calls) != 1 || calls[0].Name != "get_weather" || !reflect.DeepEqual(calls[0].Args, want) || resp.Text() != "checking" {
		t.Errorf("calls = %+v, text %q", calls, resp.Text())
	}

	var text string
	calls = nil
	for chunk, err := range client.Models.GenerateContentStream(ctx, "gemini-2.5-flash", contents, nil) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		text += chunk.Text()
		calls = append(calls, chunk.FunctionCalls()...)
	}
	if len(calls) != 1 || calls[0].Name != "get_weather" || !reflect.DeepEqual(calls[0].Args, want) || text != "checking" {
		t.Errorf("streamed calls = %+v, text %q", calls, text)
	}
}

// sameJSON reports whether a and b decode to the same value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Errorf("decoding %s: %v", a, err)
		return false
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Errorf("decoding %s: %v", b, err)
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// events decodes the data of every event of an SSE body but [DONE].
func events(t *testing.T, body []byte) (names []string, data []map[string]any) {
	t.Helper()
	evs, _ := readSSE(t, bytes.NewReader(body), false)
	for _, e := range evs {
		if e.data == "[DONE]" {
			continue
		}
		names = append(names, e.name)
		data = append(data, decode(t, e.data))
	}
	return names, data
}

// compactJSON re-encodes a decoded JSON value (keys sorted), so the
// arguments of APIs that carry an object can be compared with sameJSON.
func compactJSON(t *testing.T, v any) string {
	t.Helper()
	if v == nil {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func readChatTool(t *testing.T, body []byte, stream bool) toolAnswer {
	t.Helper()
	var a toolAnswer
	if !stream {
		m := decode(t, string(body))
		msg := at(m, "choices", 0, "message")
		a.text, _ = at(msg, "content").(string)
		a.name, _ = at(msg, "tool_calls", 0, "function", "name").(string)
		a.args, _ = at(msg, "tool_calls", 0, "function", "arguments").(string)
		a.id, _ = at(msg, "tool_calls", 0, "id").(string)
		if at(msg, "tool_calls", 0, "type") != "function" && a.name != "" {
			t.Errorf("tool call type = %v", at(msg, "tool_calls", 0, "type"))
		}
		if a.name != "" {
			a.fragments = 1
			a.toolIndex = boolIndex(a.text != "")
		}
		a.stop, _ = at(m, "choices", 0, "finish_reason").(string)
		a.output, _ = at(m, "usage", "completion_tokens").(int64)
		return a
	}
	_, data := events(t, body)
	for _, m := range data {
		if u, ok := at(m, "usage", "completion_tokens").(int64); ok {
			a.output = u
		}
		delta := at(m, "choices", 0, "delta")
		if s, _ := at(delta, "content").(string); s != "" {
			if a.name != "" {
				t.Errorf("text delta %q after the tool call", s)
			}
			a.text += s
		}
		if tc := at(delta, "tool_calls", 0); tc != nil {
			if at(tc, "index") != int64(0) {
				t.Errorf("tool call delta without index 0: %v", tc)
			}
			if id, ok := at(tc, "id").(string); ok {
				a.id, a.name = id, at(tc, "function", "name").(string)
				a.toolIndex = boolIndex(a.text != "")
				if at(tc, "type") != "function" {
					t.Errorf("first tool call delta without type function: %v", tc)
				}
			}
			if s, _ := at(tc, "function", "arguments").(string); s != "" {
				a.args += s
				a.fragments++
			}
		}
		if f, ok := at(m, "choices", 0, "finish_reason").(string); ok {
			a.stop = f
		}
	}
	return a
}

func readResponsesTool(t *testing.T, body []byte, stream bool) toolAnswer {
	t.Helper()
	var a toolAnswer
	// fromOutput reads a completed response's output items.
	fromOutput := func(r any) {
		items, _ := at(r, "output").([]any)
		for i, item := range items {
			switch at(item, "type") {
			case "message":
				a.text, _ = at(item, "content", 0, "text").(string)
			case "function_call":
				a.name, _ = at(item, "name").(string)
				a.id, _ = at(item, "call_id").(string)
				a.toolIndex = int64(i)
				if !strings.HasPrefix(str(at(item, "id")), "fc_") || at(item, "status") != "completed" {
					t.Errorf("function_call item = %v", item)
				}
				if !stream {
					a.args, _ = at(item, "arguments").(string)
					a.fragments = 1
				} else if at(item, "arguments") != a.args {
					t.Errorf("completed arguments %v, deltas gave %s", at(item, "arguments"), a.args)
				}
			}
		}
		a.stop, _ = at(r, "status").(string)
		a.output, _ = at(r, "usage", "output_tokens").(int64)
	}
	if !stream {
		fromOutput(decode(t, string(body)))
		return a
	}
	names, data := events(t, body)
	var doneArgs any
	for i, m := range data {
		switch names[i] {
		case "response.output_item.added":
			if at(m, "item", "type") == "function_call" && (at(m, "item", "arguments") != "" || at(m, "item", "status") != "in_progress") {
				t.Errorf("function_call added as %v", at(m, "item"))
			}
		case "response.function_call_arguments.delta":
			a.args += at(m, "delta").(string)
			a.fragments++
		case "response.function_call_arguments.done":
			doneArgs = at(m, "arguments")
		case "response.output_item.done":
			if at(m, "item", "type") == "function_call" && at(m, "item", "arguments") != a.args {
				t.Errorf("function_call done with %v, deltas gave %s", at(m, "item", "arguments"), a.args)
			}
		case "response.completed":
			fromOutput(at(m, "response"))
		}
	}
	if a.name != "" && doneArgs != a.args {
		t.Errorf("function_call_arguments.done = %v, deltas gave %s", doneArgs, a.args)
	}
	return a
}

func readAnthropicTool(t *testing.T, body []byte, stream bool) toolAnswer {
	t.Helper()
	var a toolAnswer
	if !stream {
		m := decode(t, string(body))
		blocks, _ := at(m, "content").([]any)
		for i, b := range blocks {
			switch at(b, "type") {
			case "text":
				a.text, _ = at(b, "text").(string)
			case "tool_use":
				a.name, _ = at(b, "name").(string)
				a.id, _ = at(b, "id").(string)
				a.args = compactJSON(t, at(b, "input"))
				a.fragments, a.toolIndex = 1, int64(i)
			}
		}
		a.stop, _ = at(m, "stop_reason").(string)
		a.output, _ = at(m, "usage", "output_tokens").(int64)
		return a
	}
	names, data := events(t, body)
	for i, m := range data {
		switch names[i] {
		case "content_block_start":
			if b := at(m, "content_block"); at(b, "type") == "tool_use" {
				a.name, _ = at(b, "name").(string)
				a.id, _ = at(b, "id").(string)
				a.toolIndex, _ = at(m, "index").(int64)
				if in, ok := at(b, "input").(map[string]any); !ok || len(in) != 0 {
					t.Errorf("tool_use starts with input %v, want {}", at(b, "input"))
				}
			}
		case "content_block_delta":
			switch at(m, "delta", "type") {
			case "text_delta":
				a.text += at(m, "delta", "text").(string)
			case "input_json_delta":
				if at(m, "index") != a.toolIndex {
					t.Errorf("input_json_delta at index %v, tool_use at %d", at(m, "index"), a.toolIndex)
				}
				a.args += at(m, "delta", "partial_json").(string)
				a.fragments++
			}
		case "message_delta":
			a.stop, _ = at(m, "delta", "stop_reason").(string)
			a.output, _ = at(m, "usage", "output_tokens").(int64)
		}
	}
	return a
}

func readGeminiTool(t *testing.T, body []byte, stream bool) toolAnswer {
	t.Helper()
	if !stream {
		return geminiChunks(t, []map[string]any{decode(t, string(body))})
	}
	_, data := events(t, body)
	return geminiChunks(t, data)
}

func readGeminiJSONArrayTool(t *testing.T, body []byte, _ bool) toolAnswer {
	t.Helper()
	var chunks []map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&chunks); err != nil {
		t.Fatalf("decoding JSON array stream: %v", err)
	}
	return geminiChunks(t, chunks)
}

// geminiChunks reads GenerateContentResponses in order; a part index
// counts across chunks.
func geminiChunks(t *testing.T, chunks []map[string]any) toolAnswer {
	t.Helper()
	var a toolAnswer
	for _, m := range chunks {
		parts, _ := at(m, "candidates", 0, "content", "parts").([]any)
		for _, p := range parts {
			if s, ok := at(p, "text").(string); ok {
				if a.name != "" {
					t.Errorf("text part %q after the function call", s)
				}
				a.text += s
			}
			if fc := at(p, "functionCall"); fc != nil {
				a.name, _ = at(fc, "name").(string)
				a.args = compactJSON(t, at(fc, "args"))
				a.fragments++
				a.toolIndex = boolIndex(a.text != "")
			}
		}
		if f, ok := at(m, "candidates", 0, "finishReason").(string); ok {
			a.stop = f
		}
		if c, ok := at(m, "usageMetadata", "candidatesTokenCount").(int64); ok {
			a.output = c
		}
	}
	return a
}

// boolIndex is 1 for true: where a tool part lands after optional text.
func boolIndex(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
