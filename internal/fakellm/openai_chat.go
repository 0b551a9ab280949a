package fakellm

import "time"

// chatCompletion answers POST /v1/chat/completions: a chat.completion
// object, or with "stream": true the chat.completion.chunk events — a role
// chunk, the content deltas, a finish chunk, the usage chunk (empty
// choices) only when stream_options.include_usage is true, then
// "data: [DONE]". A tool call streams as tool_calls deltas after the text.
func (x *exchange) chatCompletion() error {
	id := "chatcmpl-" + randID()
	created := time.Now().Unix()
	u := x.set.usage
	// A tool call (WithToolCall) follows the text, whose content is null
	// when it is empty, and ends the turn with finish_reason "tool_calls".
	var content any = textMarker
	if !x.showText() {
		content = nil
	}
	finish, callID := "stop", "call_"+randID()
	if x.tool != nil {
		finish = "tool_calls"
	}
	if !x.call.stream {
		msg := obj{{"role", "assistant"}, {"content", content}}
		if x.tool != nil {
			msg = append(msg, kv{"tool_calls", []any{x.tool.chatToolCall(callID)}})
		}
		return x.writeJSON(obj{
			{"id", id},
			{"object", "chat.completion"},
			{"created", created},
			{"model", x.call.model},
			{"choices", []any{obj{
				{"index", 0},
				{"message", append(msg, kv{"refusal", nil}, kv{"annotations", []any{}})},
				{"logprobs", nil},
				{"finish_reason", finish},
			}}},
			{"usage", u.openAIChatUsage()},
			{"service_tier", "default"},
			{"system_fingerprint", "fp_fakellm"},
		}, x.txt)
	}

	ev, err := x.events("text/event-stream; charset=utf-8")
	if err != nil {
		return err
	}
	chunk := func(choices []any, usage any) obj {
		o := obj{
			{"id", id},
			{"object", "chat.completion.chunk"},
			{"created", created},
			{"model", x.call.model},
			{"service_tier", "default"},
			{"system_fingerprint", "fp_fakellm"},
			{"choices", choices},
		}
		if x.call.includeUsage {
			o = append(o, kv{"usage", usage})
		}
		return o
	}
	choice := func(delta obj, finish any) []any {
		return []any{obj{{"index", 0}, {"delta", delta}, {"logprobs", nil}, {"finish_reason", finish}}}
	}
	if content != nil {
		content = ""
	}
	if err := ev.send("", chunk(choice(obj{{"role", "assistant"}, {"content", content}, {"refusal", nil}}, nil), nil), replyText{}); err != nil {
		return err
	}
	if x.showText() {
		delta, err := compile(chunk(choice(obj{{"content", textMarker}}, nil), nil))
		if err != nil {
			return err
		}
		for p := range x.txt.pieces(x.set.chunks) {
			if err := ev.send("", delta, p); err != nil {
				return err
			}
		}
	}
	if x.tool != nil {
		for _, d := range x.tool.chatToolDeltas(callID, x.set.chunks) {
			if err := ev.send("", chunk(choice(d, nil), nil), replyText{}); err != nil {
				return err
			}
		}
	}
	if err := ev.send("", chunk(choice(obj{}, finish), nil), replyText{}); err != nil {
		return err
	}
	if x.call.includeUsage {
		if err := ev.send("", chunk([]any{}, u.openAIChatUsage()), replyText{}); err != nil {
			return err
		}
	}
	if err := ev.sendRaw("[DONE]"); err != nil {
		return err
	}
	return ev.finish()
}
