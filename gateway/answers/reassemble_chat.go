package answers

import (
	"encoding/json"
	"strings"
)

// chatDelta is what one chat.completion.chunk choice adds.
type chatDelta struct {
	Role             *string           `json:"role"`
	Content          *string           `json:"content"`
	Refusal          *string           `json:"refusal"`
	ReasoningContent *string           `json:"reasoning_content"` // OpenAI-compatible servers' thinking
	ToolCalls        []json.RawMessage `json:"tool_calls"`
	FunctionCall     *chatFunction     `json:"function_call"` // the deprecated single call
}

// chatChunkChoice is one choice of a chat.completion.chunk.
type chatChunkChoice struct {
	Index        int       `json:"index"`
	Delta        chatDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
}

// chatToolDelta is one fragment of a streamed tool call: the first names
// it, the rest add to its arguments.
type chatToolDelta struct {
	Index    *int          `json:"index"`
	ID       string        `json:"id"`
	Type     string        `json:"type"`
	Function *chatFunction `json:"function"`
	Custom   *chatCustom   `json:"custom"`
}

type chatFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type chatCustom struct {
	Name  string `json:"name"`
	Input string `json:"input"`
}

// chatToolCall is a tool call of a chat.completion message.
type chatToolCall struct {
	ID       string        `json:"id"`
	Type     string        `json:"type"`
	Function *chatFunction `json:"function,omitempty"`
	Custom   *chatCustom   `json:"custom,omitempty"`
}

// chatMessage is a chat.completion choice's message. Content and refusal
// are null when no delta carried them, as in the non-streamed answer.
type chatMessage struct {
	Role             string         `json:"role"`
	Content          *string        `json:"content"`
	Refusal          *string        `json:"refusal"`
	ReasoningContent *string        `json:"reasoning_content,omitempty"`
	ToolCalls        []chatToolCall `json:"tool_calls,omitempty"`
	FunctionCall     *chatFunction  `json:"function_call,omitempty"`
}

// chatChoice is a chat.completion choice. Logprobs are not rebuilt.
type chatChoice struct {
	Index        int             `json:"index"`
	Message      chatMessage     `json:"message"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

// chatBuilder joins one choice's deltas.
type chatBuilder struct {
	role                        string
	content, refusal, reasoning *strings.Builder // nil until a delta has one
	tools                       map[int]*chatToolCall
	function                    *chatFunction
	finish                      *string
}

// reassembleChat rebuilds a chat.completion from chat.completion.chunk
// events: the first chunk's id, created, model and other members; per
// choice (by index) the role, the content, refusal and reasoning deltas
// joined, tool calls joined by their index (id and type from the first
// fragment, name and arguments concatenated, as the OpenAI SDKs do) and
// the last finish_reason; and the usage of the chunk that carries one
// (stream_options.include_usage). It returns nil when no event is a
// chunk.
func reassembleChat(events []json.RawMessage) json.RawMessage {
	var top object
	var usage json.RawMessage
	choices := map[int]*chatBuilder{}
	for _, ev := range events {
		o := decodeObject(ev)
		if _, ok := o["choices"]; !ok {
			continue // an error event, or not a chunk
		}
		if top == nil {
			top = o.clone()
		}
		if o.has("usage") {
			usage = o["usage"]
		}
		for _, raw := range o.list("choices") {
			var ch chatChunkChoice
			if json.Unmarshal(raw, &ch) != nil && decodeObject(raw) == nil {
				continue
			}
			b := choices[ch.Index]
			if b == nil {
				b = &chatBuilder{role: "assistant", tools: map[int]*chatToolCall{}}
				choices[ch.Index] = b
			}
			b.add(ch)
		}
	}
	if top == nil {
		return nil
	}
	for _, k := range []string{"choices", "usage", "obfuscation"} {
		delete(top, k)
	}
	top.set("object", "chat.completion")
	out := []chatChoice{}
	for _, i := range sortedKeys(choices) {
		out = append(out, choices[i].choice(i))
	}
	top.set("choices", out)
	if usage != nil {
		top["usage"] = usage
	}
	return marshal(top)
}

// add folds one chunk's choice into b.
func (b *chatBuilder) add(ch chatChunkChoice) {
	d := ch.Delta
	if d.Role != nil && *d.Role != "" {
		b.role = *d.Role
	}
	appendTo(&b.content, d.Content)
	appendTo(&b.refusal, d.Refusal)
	appendTo(&b.reasoning, d.ReasoningContent)
	if d.FunctionCall != nil {
		if b.function == nil {
			b.function = &chatFunction{}
		}
		b.function.Name += d.FunctionCall.Name
		b.function.Arguments += d.FunctionCall.Arguments
	}
	for pos, raw := range d.ToolCalls {
		var td chatToolDelta
		_ = json.Unmarshal(raw, &td) // a mistyped member is left zero
		idx := pos
		if td.Index != nil {
			idx = *td.Index
		}
		tc := b.tools[idx]
		if tc == nil {
			tc = &chatToolCall{}
			b.tools[idx] = tc
		}
		if td.ID != "" {
			tc.ID = td.ID
		}
		if td.Type != "" {
			tc.Type = td.Type
		}
		if td.Function != nil {
			if tc.Function == nil {
				tc.Function = &chatFunction{}
			}
			tc.Function.Name += td.Function.Name
			tc.Function.Arguments += td.Function.Arguments
		}
		if td.Custom != nil {
			if tc.Custom == nil {
				tc.Custom = &chatCustom{}
			}
			tc.Custom.Name += td.Custom.Name
			tc.Custom.Input += td.Custom.Input
		}
	}
	if ch.FinishReason != nil {
		b.finish = ch.FinishReason
	}
}

// choice is the joined choice number i.
func (b *chatBuilder) choice(i int) chatChoice {
	m := chatMessage{Role: b.role, Content: built(b.content), Refusal: built(b.refusal),
		ReasoningContent: built(b.reasoning), FunctionCall: b.function}
	for _, k := range sortedKeys(b.tools) {
		tc := *b.tools[k]
		if tc.Type == "" {
			tc.Type = "function"
			if tc.Custom != nil && tc.Function == nil {
				tc.Type = "custom"
			}
		}
		m.ToolCalls = append(m.ToolCalls, tc)
	}
	return chatChoice{Index: i, Message: m, Logprobs: json.RawMessage("null"), FinishReason: b.finish}
}

// appendTo adds s to *b, creating the builder on the first piece.
func appendTo(b **strings.Builder, s *string) {
	if s == nil {
		return
	}
	if *b == nil {
		*b = &strings.Builder{}
	}
	(*b).WriteString(*s)
}

// built is b's text, or nil when no piece was added.
func built(b *strings.Builder) *string {
	if b == nil {
		return nil
	}
	s := b.String()
	return &s
}
