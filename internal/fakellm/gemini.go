package fakellm

// geminiGenerate answers POST /v1beta/models/{model}:generateContent with a
// GenerateContentResponse, and :streamGenerateContent with a stream of them
// — server-sent "data:" events separated by CRLF as Gemini sends them with
// ?alt=sse, else one JSON array. Every chunk carries one text delta; the
// last adds finishReason "STOP" and the full usageMetadata, the earlier
// ones the prompt counts only, as the real API does. A tool call is a
// functionCall part after the text, streamed whole in the final chunk.
func (x *exchange) geminiGenerate() error {
	respID := randID()
	u := x.set.usage
	text := obj{{"text", textMarker}}
	chunk := func(final bool, parts ...any) obj {
		cand := obj{{"content", obj{
			{"parts", parts},
			{"role", "model"},
		}}}
		if final {
			cand = append(cand, kv{"finishReason", "STOP"})
		}
		cand = append(cand, kv{"index", 0})
		return obj{
			{"candidates", []any{cand}},
			{"usageMetadata", u.geminiUsage(final)},
			{"modelVersion", x.call.model},
			{"responseId", respID},
		}
	}
	if !x.call.stream {
		var parts []any
		if x.showText() {
			parts = append(parts, text)
		}
		if x.tool != nil {
			parts = append(parts, x.tool.functionCallPart())
		}
		return x.writeJSON(chunk(true, parts...), x.txt)
	}

	contentType := "text/event-stream"
	if !x.route.sse {
		contentType = "application/json; charset=UTF-8"
	}
	ev, err := x.events(contentType)
	if err != nil {
		return err
	}
	ev.lineEnd = "\r\n"
	ev.jsonArray = !x.route.sse
	partial, err := compile(chunk(false, text))
	if err != nil {
		return err
	}
	if x.tool != nil {
		// Gemini sends the function call whole, in the final chunk.
		if x.showText() {
			for p := range x.txt.pieces(x.set.chunks) {
				if err := ev.send("", partial, p); err != nil {
					return err
				}
			}
		}
		if err := ev.send("", chunk(true, x.tool.functionCallPart()), replyText{}); err != nil {
			return err
		}
		return ev.finish()
	}
	// Hold one piece back so the last one goes out as the final chunk.
	var prev replyText
	have := false
	for p := range x.txt.pieces(x.set.chunks) {
		if have {
			if err := ev.send("", partial, prev); err != nil {
				return err
			}
		}
		prev, have = p, true
	}
	if err := ev.send("", chunk(true, text), prev); err != nil {
		return err
	}
	return ev.finish()
}
