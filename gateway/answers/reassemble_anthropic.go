package answers

import (
	"encoding/json"
	"strings"
)

// anthropicEvent is the part of a Messages stream event this package
// reads.
type anthropicEvent struct {
	Type         string          `json:"type"`
	Message      json.RawMessage `json:"message"`
	Index        *int            `json:"index"`
	ContentBlock json.RawMessage `json:"content_block"`
	Delta        json.RawMessage `json:"delta"`
	Usage        json.RawMessage `json:"usage"`
}

// anthropicDelta is a content_block_delta's delta.
type anthropicDelta struct {
	Type        string          `json:"type"`
	Text        string          `json:"text"`
	PartialJSON string          `json:"partial_json"`
	Thinking    string          `json:"thinking"`
	Signature   string          `json:"signature"`
	Citation    json.RawMessage `json:"citation"`
}

// anthropicBlock is one content block being streamed.
type anthropicBlock struct {
	block     object
	text      *strings.Builder // text_delta, after the start block's text
	thinking  *strings.Builder // thinking_delta, after the start block's thinking
	input     *strings.Builder // input_json_delta fragments
	signature *string
	citations []json.RawMessage
}

// reassembleAnthropic rebuilds a Messages message from its stream: the
// message of message_start, its content blocks from content_block_start
// with their deltas applied (text_delta and thinking_delta appended,
// input_json_delta fragments joined and parsed into input, kept as a
// string when they do not parse, signature_delta set, citations_delta
// appended), and message_delta's members (stop_reason, stop_sequence)
// and usage, merged over message_start's usage member by member, because
// message_delta carries the final output count and, in newer versions,
// the input counts too. A stream cut before message_start still gives its
// blocks in a message. It returns nil when no event is a Messages event.
func reassembleAnthropic(events []json.RawMessage) json.RawMessage {
	var msg object
	usage := object{}
	var delta object
	blocks := map[int]*anthropicBlock{}
	seen := false
	for _, raw := range events {
		var ev anthropicEvent
		if json.Unmarshal(raw, &ev) != nil && decodeObject(raw) == nil {
			continue
		}
		switch ev.Type {
		case "message_start":
			if m := decodeObject(ev.Message); m != nil {
				msg = m
				mergeInto(usage, m.obj("usage"))
			}
		case "content_block_start":
			b := decodeObject(ev.ContentBlock)
			if ev.Index == nil || b == nil {
				continue
			}
			blocks[*ev.Index] = &anthropicBlock{block: b}
		case "content_block_delta":
			if ev.Index == nil || blocks[*ev.Index] == nil {
				continue
			}
			var d anthropicDelta
			_ = json.Unmarshal(ev.Delta, &d)
			blocks[*ev.Index].add(d)
		case "message_delta":
			if delta == nil {
				delta = object{}
			}
			mergeInto(delta, decodeObject(ev.Delta))
			mergeInto(usage, decodeObject(ev.Usage))
		case "content_block_stop", "message_stop", "ping", "error":
		default:
			continue
		}
		seen = true
	}
	if !seen {
		return nil
	}
	if msg == nil {
		msg = object{}
		msg.set("type", "message")
		msg.set("role", "assistant")
	}
	msg = msg.clone()
	content := []json.RawMessage{}
	for _, i := range sortedKeys(blocks) {
		content = append(content, marshal(blocks[i].object()))
	}
	msg.set("content", content)
	mergeInto(msg, delta)
	if len(usage) > 0 {
		msg.set("usage", usage)
	}
	return marshal(msg)
}

// add applies one delta to the block.
func (b *anthropicBlock) add(d anthropicDelta) {
	switch d.Type {
	case "text_delta":
		b.appendStarting(&b.text, "text", d.Text)
	case "thinking_delta":
		b.appendStarting(&b.thinking, "thinking", d.Thinking)
	case "input_json_delta":
		appendTo(&b.input, &d.PartialJSON)
	case "signature_delta":
		b.signature = &d.Signature
	case "citations_delta":
		if len(d.Citation) > 0 {
			b.citations = append(b.citations, d.Citation)
		}
	}
}

// appendStarting appends s to *sb, which starts as the start block's
// member field (content_block_start sends "text": "" or a first piece).
func (b *anthropicBlock) appendStarting(sb **strings.Builder, field, s string) {
	if *sb == nil {
		*sb = &strings.Builder{}
		(*sb).WriteString(b.block.str(field))
	}
	(*sb).WriteString(s)
}

// object is the block with its deltas applied.
func (b *anthropicBlock) object() object {
	o := b.block.clone()
	if b.text != nil {
		o.set("text", b.text.String())
	}
	if b.thinking != nil {
		o.set("thinking", b.thinking.String())
	}
	if b.signature != nil {
		o.set("signature", *b.signature)
	}
	if b.input != nil {
		o["input"] = jsonValue(b.input.String())
	}
	if len(b.citations) > 0 {
		o.set("citations", append(o.list("citations"), b.citations...))
	}
	return o
}

// mergeInto copies src's non-null members into dst.
func mergeInto(dst, src object) {
	for k, v := range src {
		if !isNull(v) {
			dst[k] = v
		}
	}
}
