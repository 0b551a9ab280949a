package fakellm

// anthropicMessage answers POST /v1/messages: a message object, or with
// "stream": true the events message_start (usage with the input and cache
// counts and output_tokens 1), content_block_start, ping, the text_delta
// content_block_delta events, content_block_stop (then the tool_use block
// of a tool call, if any), message_delta (the
// cumulative usage: output tokens and, as the real API now sends, the input
// and cache counts) and message_stop.
func (x *exchange) anthropicMessage() error {
	id := "msg_01" + randID()
	u := x.set.usage
	// A tool call (WithToolCall) is a tool_use block after the text and
	// ends the turn with stop_reason "tool_use".
	stop, toolID := "end_turn", "toolu_01"+randID()
	if x.tool != nil {
		stop = "tool_use"
	}
	if !x.call.stream {
		var content []any
		if x.showText() {
			content = append(content, obj{{"type", "text"}, {"text", textMarker}})
		}
		if x.tool != nil {
			content = append(content, x.tool.toolUseBlock(toolID, x.tool.rawArgs()))
		}
		return x.writeJSON(obj{
			{"id", id},
			{"type", "message"},
			{"role", "assistant"},
			{"model", x.call.model},
			{"content", content},
			{"stop_reason", stop},
			{"stop_sequence", nil},
			{"usage", u.anthropicUsage(u.OutputTokens)},
		}, x.txt)
	}

	ev, err := x.events("text/event-stream; charset=utf-8")
	if err != nil {
		return err
	}
	none := replyText{}
	if err := ev.send("message_start", obj{
		{"type", "message_start"},
		{"message", obj{
			{"id", id},
			{"type", "message"},
			{"role", "assistant"},
			{"model", x.call.model},
			{"content", []any{}},
			{"stop_reason", nil},
			{"stop_sequence", nil},
			{"usage", u.anthropicUsage(min(1, u.OutputTokens))},
		}},
	}, none); err != nil {
		return err
	}
	index := 0 // of the next content block
	if x.showText() {
		if err := x.streamTextBlock(ev); err != nil {
			return err
		}
		index++
	}
	if x.tool != nil {
		if err := streamToolUseBlock(ev, x.tool, toolID, index, x.set.chunks); err != nil {
			return err
		}
	}
	if err := ev.send("message_delta", obj{
		{"type", "message_delta"},
		{"delta", obj{{"stop_reason", stop}, {"stop_sequence", nil}}},
		{"usage", u.anthropicDeltaUsage()},
	}, none); err != nil {
		return err
	}
	if err := ev.send("message_stop", obj{{"type", "message_stop"}}, none); err != nil {
		return err
	}
	return ev.finish()
}

// streamTextBlock streams content block 0, the reply text, with the ping
// the real API sends after the first block starts.
func (x *exchange) streamTextBlock(ev *eventWriter) error {
	none := replyText{}
	if err := ev.send("content_block_start", obj{
		{"type", "content_block_start"},
		{"index", 0},
		{"content_block", obj{{"type", "text"}, {"text", ""}}},
	}, none); err != nil {
		return err
	}
	if err := ev.send("ping", obj{{"type", "ping"}}, none); err != nil {
		return err
	}
	delta, err := compile(obj{
		{"type", "content_block_delta"},
		{"index", 0},
		{"delta", obj{{"type", "text_delta"}, {"text", textMarker}}},
	})
	if err != nil {
		return err
	}
	for p := range x.txt.pieces(x.set.chunks) {
		if err := ev.send("content_block_delta", delta, p); err != nil {
			return err
		}
	}
	return ev.send("content_block_stop", obj{{"type", "content_block_stop"}, {"index", 0}}, none)
}
