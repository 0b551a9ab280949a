package answers

import (
	"encoding/json"
	"strings"
)

// responsesFinal are the events that carry the finished response object.
var responsesFinal = map[string]bool{
	"response.completed":  true,
	"response.incomplete": true,
	"response.failed":     true,
}

// responsesEvent is the part of a Responses stream event this package
// reads.
type responsesEvent struct {
	Type         string          `json:"type"`
	Response     json.RawMessage `json:"response"`
	OutputIndex  *int            `json:"output_index"`
	ContentIndex *int            `json:"content_index"`
	Item         json.RawMessage `json:"item"`
	Part         json.RawMessage `json:"part"`
	Delta        string          `json:"delta"`
	Text         *string         `json:"text"`
	Refusal      *string         `json:"refusal"`
	Arguments    *string         `json:"arguments"`
	Input        *string         `json:"input"`
}

// responsesItem is one output item being streamed: its item object
// (from output_item.added, or whole from output_item.done) and, until it
// is done, the text and arguments its deltas add.
type responsesItem struct {
	item  object
	done  bool
	parts map[int]*responsesPart
	args  *strings.Builder // function_call arguments, custom_tool_call input
}

// responsesPart is one content part of a message item.
type responsesPart struct {
	part    object
	done    bool
	text    *strings.Builder // output_text text, or refusal
	refusal bool             // the text is a refusal
}

// reassembleResponses returns the response object of a Responses stream:
// the one response.completed (or .incomplete, .failed) carries, byte
// for byte. A
// stream cut before that gives the last response object seen (from
// response.created or .in_progress, still "in_progress") with its output
// rebuilt from the item events: items whole from output_item.done, else
// from output_item.added with their text parts (output_text and refusal
// deltas) and function or custom tool call arguments joined. It returns
// nil when no event is a Responses event.
func reassembleResponses(events []json.RawMessage) json.RawMessage {
	var resp object
	seen := false
	items := map[int]*responsesItem{}
	for _, raw := range events {
		var ev responsesEvent
		if json.Unmarshal(raw, &ev) != nil && decodeObject(raw) == nil {
			continue
		}
		if !strings.HasPrefix(ev.Type, "response.") {
			continue
		}
		seen = true
		if r := decodeObject(ev.Response); r != nil {
			if responsesFinal[ev.Type] {
				return ev.Response // as sent: Unmarshal copied it out of the event
			}
			resp = r
		}
		addResponsesEvent(items, ev)
	}
	if !seen {
		return nil
	}
	if resp == nil {
		resp = object{}
		resp.set("object", "response")
	}
	output := []json.RawMessage{}
	for _, i := range sortedKeys(items) {
		output = append(output, marshal(items[i].object()))
	}
	if len(output) > 0 || !resp.has("output") {
		resp.set("output", output)
	}
	return marshal(resp)
}

// addResponsesEvent folds one item event into items.
func addResponsesEvent(items map[int]*responsesItem, ev responsesEvent) {
	if ev.OutputIndex == nil {
		return
	}
	it := items[*ev.OutputIndex]
	if ev.Type == "response.output_item.added" || ev.Type == "response.output_item.done" {
		o := decodeObject(ev.Item)
		if o == nil {
			return
		}
		if it == nil || !it.done {
			if it == nil {
				it = &responsesItem{parts: map[int]*responsesPart{}}
				items[*ev.OutputIndex] = it
			}
			it.item, it.done = o, ev.Type == "response.output_item.done"
		}
		return
	}
	if it == nil || it.done {
		return // a delta of an item never announced, or already whole
	}
	switch ev.Type {
	case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
		appendTo(&it.args, &ev.Delta)
	case "response.function_call_arguments.done":
		it.args = fullText(ev.Arguments, it.args)
	case "response.custom_tool_call_input.done":
		it.args = fullText(ev.Input, it.args)
	case "response.content_part.added", "response.content_part.done",
		"response.output_text.delta", "response.output_text.done",
		"response.refusal.delta", "response.refusal.done":
		it.addPart(ev)
	}
}

// addPart folds a content part event into its message item.
func (it *responsesItem) addPart(ev responsesEvent) {
	if ev.ContentIndex == nil {
		return
	}
	p := it.parts[*ev.ContentIndex]
	if p == nil {
		p = &responsesPart{}
		it.parts[*ev.ContentIndex] = p
	}
	if p.done {
		return
	}
	switch ev.Type {
	case "response.content_part.added", "response.content_part.done":
		if o := decodeObject(ev.Part); o != nil {
			p.part, p.done = o, ev.Type == "response.content_part.done"
		}
	case "response.output_text.delta":
		appendTo(&p.text, &ev.Delta)
	case "response.refusal.delta":
		appendTo(&p.text, &ev.Delta)
		p.refusal = true
	case "response.output_text.done":
		p.text = fullText(ev.Text, p.text)
	case "response.refusal.done":
		p.text = fullText(ev.Refusal, p.text)
		p.refusal = true
	}
}

// fullText is the builder holding s when a .done event gave it, else b.
func fullText(s *string, b *strings.Builder) *strings.Builder {
	if s == nil {
		return b
	}
	var nb strings.Builder
	nb.WriteString(*s)
	return &nb
}

// object is the item as far as the stream got.
func (it *responsesItem) object() object {
	if it.done {
		return it.item
	}
	o := it.item.clone()
	if it.args != nil {
		if o.str("type") == "custom_tool_call" {
			o.set("input", it.args.String())
		} else {
			o.set("arguments", it.args.String())
		}
	}
	if len(it.parts) > 0 {
		var content []json.RawMessage
		for _, i := range sortedKeys(it.parts) {
			content = append(content, marshal(it.parts[i].object()))
		}
		o.set("content", content)
	}
	return o
}

// object is the content part as far as the stream got.
func (p *responsesPart) object() object {
	if p.done {
		return p.part
	}
	o := p.part.clone()
	if p.text == nil {
		return o
	}
	if p.refusal || o.str("type") == "refusal" {
		o.set("type", "refusal")
		o.set("refusal", p.text.String())
		return o
	}
	if !o.has("type") {
		o.set("type", "output_text")
	}
	o.set("text", p.text.String())
	return o
}
