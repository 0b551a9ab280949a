package ui

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"strconv"
	"strings"
)

// toolCall is one tool the model asked to call, as the detail page shows
// it.
type toolCall struct {
	ID   string
	Name string
	Args string // JSON arguments, indented when they parse
}

// toolCalls finds the tool calls in a captured response of any of the
// four APIs, whole JSON or an SSE stream:
//
//   - OpenAI chat: choices[].message.tool_calls, or streamed
//     choices[].delta.tool_calls fragments joined by index;
//   - OpenAI responses: output[] items of type function_call (also in
//     streamed response.output_item.done and response.completed events);
//   - Anthropic messages: content[] blocks of type tool_use, or streamed
//     content_block_start plus input_json_delta fragments;
//   - Gemini: candidates[].content.parts[].functionCall.
//
// It is best effort for display: a body it cannot read has no tool calls.
func toolCalls(body []byte) []toolCall {
	var events []map[string]any
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var v any
		if json.Unmarshal(trimmed, &v) == nil {
			switch v := v.(type) {
			case map[string]any:
				events = append(events, v)
			case []any: // Gemini's non-SSE stream is a JSON array of chunks
				for _, e := range v {
					if m, ok := e.(map[string]any); ok {
						events = append(events, m)
					}
				}
			}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data:")
			if !ok {
				continue
			}
			var m map[string]any
			if json.Unmarshal([]byte(strings.TrimSpace(data)), &m) == nil {
				events = append(events, m)
			}
		}
	}
	var tc toolCollector
	for _, e := range events {
		tc.event(e)
	}
	return tc.result()
}

// toolCollector gathers calls across events, joining streamed fragments.
type toolCollector struct {
	calls   []*toolCall
	byKey   map[string]*toolCall // stream index or call ID → call
	argBufs map[*toolCall]*strings.Builder
}

// get returns the call for key, creating it in order of appearance.
func (t *toolCollector) get(key string) *toolCall {
	if t.byKey == nil {
		t.byKey = map[string]*toolCall{}
		t.argBufs = map[*toolCall]*strings.Builder{}
	}
	if key != "" {
		if c, ok := t.byKey[key]; ok {
			return c
		}
	}
	c := &toolCall{}
	t.calls = append(t.calls, c)
	t.argBufs[c] = &strings.Builder{}
	if key != "" {
		t.byKey[key] = c
	}
	return c
}

// whole records a complete call, once per ID.
func (t *toolCollector) whole(id, name string, args any) {
	key := ""
	if id != "" {
		key = "id:" + id
	}
	c := t.get(key)
	c.ID, c.Name = id, name
	buf := t.argBufs[c]
	buf.Reset()
	switch a := args.(type) {
	case string:
		buf.WriteString(a)
	case nil:
	default:
		b, _ := json.Marshal(a)
		buf.Write(b)
	}
}

func (t *toolCollector) event(e map[string]any) {
	// Responses streaming wraps items and the final response.
	if item, ok := e["item"].(map[string]any); ok && str(e["type"]) == "response.output_item.done" {
		t.responsesItem(item)
		return
	}
	if resp, ok := e["response"].(map[string]any); ok {
		e = resp
	}
	for _, it := range list(e["output"]) {
		if item, ok := it.(map[string]any); ok {
			t.responsesItem(item)
		}
	}
	// OpenAI chat, whole and streamed.
	for _, ch := range list(e["choices"]) {
		choice, _ := ch.(map[string]any)
		for _, field := range []string{"message", "delta"} {
			msg, _ := choice[field].(map[string]any)
			for i, x := range list(msg["tool_calls"]) {
				call, _ := x.(map[string]any)
				fn, _ := call["function"].(map[string]any)
				if field == "message" {
					t.whole(str(call["id"]), str(fn["name"]), fn["arguments"])
					continue
				}
				idx := i
				if n, ok := call["index"].(float64); ok {
					idx = int(n)
				}
				c := t.get("chat:" + strconv.Itoa(idx))
				if id := str(call["id"]); id != "" {
					c.ID = id
				}
				c.Name += str(fn["name"])
				t.argBufs[c].WriteString(str(fn["arguments"]))
			}
		}
	}
	// Anthropic, whole and streamed.
	for _, x := range list(e["content"]) {
		if block, ok := x.(map[string]any); ok && str(block["type"]) == "tool_use" {
			t.whole(str(block["id"]), str(block["name"]), block["input"])
		}
	}
	if block, ok := e["content_block"].(map[string]any); ok && str(block["type"]) == "tool_use" {
		c := t.get("anthropic:" + num(e["index"]))
		c.ID, c.Name = str(block["id"]), str(block["name"])
	}
	if delta, ok := e["delta"].(map[string]any); ok && str(delta["type"]) == "input_json_delta" {
		if c, ok := t.byKey["anthropic:"+num(e["index"])]; ok {
			t.argBufs[c].WriteString(str(delta["partial_json"]))
		}
	}
	// Gemini.
	for _, x := range list(e["candidates"]) {
		cand, _ := x.(map[string]any)
		content, _ := cand["content"].(map[string]any)
		for _, p := range list(content["parts"]) {
			part, _ := p.(map[string]any)
			if fc, ok := part["functionCall"].(map[string]any); ok {
				t.whole(str(fc["id"]), str(fc["name"]), fc["args"])
			}
		}
	}
}

// responsesItem records a Responses API output item if it is a call.
func (t *toolCollector) responsesItem(item map[string]any) {
	switch str(item["type"]) {
	case "function_call", "custom_tool_call":
		args := item["arguments"]
		if args == nil {
			args = item["input"]
		}
		t.whole(cmp.Or(str(item["call_id"]), str(item["id"])), str(item["name"]), args)
	}
}

func (t *toolCollector) result() []toolCall {
	var out []toolCall
	for _, c := range t.calls {
		args := t.argBufs[c].String()
		if args != "" && json.Valid([]byte(args)) {
			var buf bytes.Buffer
			if json.Indent(&buf, []byte(args), "", "  ") == nil {
				args = buf.String()
			}
		}
		c.Args = args
		if c.Name != "" || c.Args != "" {
			out = append(out, *c)
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.Itoa(int(f))
	}
	return ""
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
