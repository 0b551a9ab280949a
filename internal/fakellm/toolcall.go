package fakellm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// toolCall is the one function call an answer asks for: a tool name and
// its arguments as a compact JSON object. It is never changed once made, so
// settings snapshots share it.
type toolCall struct {
	name string
	args string
}

// callToolLine matches the per-request form in the prompt, one line
// "call tool: NAME {json}" (the arguments may be left out: {}). The name
// characters are those all four APIs accept in a function name.
var callToolLine = regexp.MustCompile(`(?i)call tool:[ \t]*([A-Za-z0-9_.:-]+)[ \t]*([^\r\n]*)`)

// newToolCall checks and compacts the arguments. They must be a JSON
// object because Anthropic's input and Gemini's args are objects; OpenAI
// carries the same text as its arguments string, so all four APIs ask for
// exactly the same call.
func newToolCall(name, argsJSON string) (*toolCall, error) {
	if name == "" {
		return nil, errors.New("fakellm: tool call without a name")
	}
	argsJSON = strings.TrimSpace(argsJSON)
	if argsJSON == "" {
		argsJSON = "{}"
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(argsJSON), &probe); err != nil {
		return nil, fmt.Errorf("fakellm: tool call %s: arguments are not a JSON object: %w", name, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(argsJSON)); err != nil {
		return nil, fmt.Errorf("fakellm: tool call %s: %w", name, err)
	}
	return &toolCall{name: name, args: b.String()}, nil
}

// WithToolCall makes every answer ask for one call of the tool name with
// argsJSON (a JSON object; "" means {}) as its arguments, in each API's own
// format, after the reply text — a model may say something and then call a
// tool. With an empty reply text (SetReply("")) the answer is the tool call
// alone, as OpenAI models usually answer. The usage is still what SetUsage
// says: its OutputTokens stand for the whole output, arguments included,
// as they always stand for the whole reply. It panics if argsJSON is not a
// JSON object, since an Option cannot return an error; see SetToolCall.
func WithToolCall(name, argsJSON string) Option {
	tc, err := newToolCall(name, argsJSON)
	if err != nil {
		panic(err)
	}
	return func(s *Server) { s.set.tool = tc }
}

// SetToolCall makes every following answer ask for a tool call, as
// WithToolCall does; name "" turns it off. A single request can ask for one
// itself with a prompt line "call tool: NAME {json}", which wins over this
// setting, like "respond with: X" wins over SetReply.
func (s *Server) SetToolCall(name, argsJSON string) error {
	if name == "" {
		s.update(func(st *settings) { st.tool = nil })
		return nil
	}
	tc, err := newToolCall(name, argsJSON)
	if err != nil {
		return err
	}
	s.update(func(st *settings) { st.tool = tc })
	return nil
}

// pickToolCall sets the tool call of a generation request: the prompt's
// "call tool:" line, else the server's setting. It fails on malformed
// arguments in the prompt, which the caller answers with a 400 as a real
// provider does a request it cannot validate, rather than with an answer
// lacking the call the test asked for.
func (x *exchange) pickToolCall() error {
	if x.route.kind != kindGenerate {
		return nil
	}
	x.tool = x.set.tool
	m := callToolLine.FindAllStringSubmatch(x.call.prompt, -1)
	if len(m) == 0 {
		return nil
	}
	last := m[len(m)-1]
	tc, err := newToolCall(last[1], last[2])
	if err != nil {
		return err
	}
	x.tool = tc
	return nil
}

// showText reports whether the answer carries its reply text: always
// without a tool call, and with one unless the text is empty.
func (x *exchange) showText() bool { return x.tool == nil || x.txt.Len() > 0 }

// argPieces splits the arguments into the fragments of a stream, as many
// as the text deltas (SetChunks), so clients must join them.
func (tc *toolCall) argPieces(chunks int) []string { return splitRunes(tc.args, chunks) }

// rawArgs is the arguments as a JSON value, for APIs that carry an object.
func (tc *toolCall) rawArgs() json.RawMessage { return json.RawMessage(tc.args) }

// chatToolCall is the tool_calls entry of a chat.completion message.
func (tc *toolCall) chatToolCall(id string) obj {
	return obj{
		{"id", id},
		{"type", "function"},
		{"function", obj{{"name", tc.name}, {"arguments", tc.args}}},
	}
}

// chatToolDeltas are the deltas of a streamed chat tool call: the first
// with index, id, type, name and empty arguments, then the arguments in
// fragments, as OpenAI streams them.
func (tc *toolCall) chatToolDeltas(id string, chunks int) []obj {
	out := []obj{{{"tool_calls", []any{obj{
		{"index", 0},
		{"id", id},
		{"type", "function"},
		{"function", obj{{"name", tc.name}, {"arguments", ""}}},
	}}}}}
	for _, p := range tc.argPieces(chunks) {
		out = append(out, obj{{"tool_calls", []any{obj{
			{"index", 0},
			{"function", obj{{"arguments", p}}},
		}}}})
	}
	return out
}

// functionCallItem is the Responses function_call output item.
func (tc *toolCall) functionCallItem(id, callID, status, args string) obj {
	return obj{
		{"type", "function_call"},
		{"id", id},
		{"call_id", callID},
		{"name", tc.name},
		{"arguments", args},
		{"status", status},
	}
}

// toolUseBlock is the Anthropic tool_use content block with input.
func (tc *toolCall) toolUseBlock(id string, input any) obj {
	return obj{{"type", "tool_use"}, {"id", id}, {"name", tc.name}, {"input", input}}
}

// functionCallPart is the Gemini functionCall part.
func (tc *toolCall) functionCallPart() obj {
	return obj{{"functionCall", obj{{"name", tc.name}, {"args", tc.rawArgs()}}}}
}

// streamFunctionCall streams the function_call item at output index as
// the Responses API does: output_item.added with empty arguments, the
// argument deltas, function_call_arguments.done and output_item.done.
func streamFunctionCall(r storedResponse, index, chunks int, event func(string, obj, replyText) error) error {
	tc, none := r.tool, replyText{}
	where := obj{{"item_id", r.fcID}, {"output_index", index}}
	if err := event("response.output_item.added", obj{{"output_index", index}, {"item", tc.functionCallItem(r.fcID, r.callID, "in_progress", "")}}, none); err != nil {
		return err
	}
	for _, p := range tc.argPieces(chunks) {
		if err := event("response.function_call_arguments.delta", append(where, kv{"delta", p}), none); err != nil {
			return err
		}
	}
	if err := event("response.function_call_arguments.done", append(where, kv{"arguments", tc.args}), none); err != nil {
		return err
	}
	return event("response.output_item.done", obj{{"output_index", index}, {"item", tc.functionCallItem(r.fcID, r.callID, "completed", tc.args)}}, none)
}

// streamToolUseBlock streams the tool_use content block at index as
// Anthropic does: content_block_start with input {}, the input_json_delta
// fragments of the arguments, content_block_stop. A tool-only message has
// it first, so it carries the ping the real API sends after the first
// block starts.
func streamToolUseBlock(ev *eventWriter, tc *toolCall, id string, index, chunks int) error {
	none := replyText{}
	if err := ev.send("content_block_start", obj{
		{"type", "content_block_start"},
		{"index", index},
		{"content_block", tc.toolUseBlock(id, obj{})},
	}, none); err != nil {
		return err
	}
	if index == 0 {
		if err := ev.send("ping", obj{{"type", "ping"}}, none); err != nil {
			return err
		}
	}
	for _, p := range tc.argPieces(chunks) {
		if err := ev.send("content_block_delta", obj{
			{"type", "content_block_delta"},
			{"index", index},
			{"delta", obj{{"type", "input_json_delta"}, {"partial_json", p}}},
		}, none); err != nil {
			return err
		}
	}
	return ev.send("content_block_stop", obj{{"type", "content_block_stop"}, {"index", index}}, none)
}
