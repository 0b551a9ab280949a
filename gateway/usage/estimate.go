package usage

import (
	"bytes"
	"encoding/binary"

	"github.com/tsplug/ts-plug/gateway/bytescan"
	"github.com/tsplug/ts-plug/gateway/config"
)

// When an answer ends before its final usage (the client pressed Esc, the
// upstream connection broke, the gateway shut down), the provider still
// bills every token it generated, but the count never reaches the gateway:
// Anthropic's message_start carries a placeholder output_tokens of 1 and
// the real count comes in message_delta; OpenAI and Gemini report usage in
// the last chunk only. The meter then estimates output tokens from the
// content that passed: text, tool-call arguments, thinking.
//
// The estimate is a byte measure of the content's JSON string values as
// they appear on the wire, without decoding them, so it costs one scan of
// each event and no allocation:
//
//	units  = ASCII bytes + 4 per non-ASCII rune (its UTF-8 lead byte;
//	         continuation bytes count 0)
//	tokens = max(ceil(units/4), number of non-empty content values)
//
// Four ASCII bytes per token is about what English prose averages with the
// providers' tokenizers (code and JSON arguments run a little denser); the
// rules below lean high to make up for it. A non-ASCII rune counts
// a whole token, since CJK text runs about one token per character and
// would be underestimated three times over by its UTF-8 length. JSON escapes
// are counted as their raw bytes (\n is 2 units, \u4e2d 6), which is rough
// but errs high. Each non-empty delta is at least one token because the
// providers stream whole tokens, which keeps a stream of one-token deltas
// (" a", "\n") from being undercounted by the byte rule.

// contentUnits weighs a run of raw string bytes by the rule above.
func contentUnits(b []byte) int64 {
	n := int64(len(b))
	// Skip ASCII a word at a time: answers are mostly ASCII.
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for _, c := range b[i:] {
		if c >= 0x80 {
			if c >= 0xC0 {
				n += 3 // a lead byte: the rune counts 4
			} else {
				n-- // a continuation byte counts 0
			}
		}
	}
	return n
}

// tokensFor turns measured content into an output token estimate.
func tokensFor(units, values int64) int64 {
	return max((units+3)/4, values)
}

// Member kinds for the content scanner.
const (
	kindNone   uint8 = iota
	kindString       // a string value is content
	kindWhole        // an object or array value is content as a whole (tool input)
)

// contentMember is a member whose value is answer content. quoted is its
// name in quotes, as searched for in an event's data.
type contentMember struct {
	quoted string
	kind   uint8
}

func str(name string) contentMember   { return contentMember{`"` + name + `"`, kindString} }
func whole(name string) contentMember { return contentMember{`"` + name + `"`, kindWhole} }

// Which members carry content, per API, in a streamed event and in a
// non-streamed document. Streamed event types whose members repeat content
// already counted (Responses' *.done events, Anthropic's
// content_block_start) are filtered out by type before the search (see
// Extractor.eventContent).
//
//   - Chat: choices[].delta (or .message).content, .reasoning_content,
//     .reasoning, .refusal, .tool_calls[].function.arguments.
//   - Responses: the "delta" of the response.*.delta events; a response's
//     output_text and summary text, function call arguments, refusal and
//     custom tool call input.
//   - Anthropic: text_delta.text, input_json_delta.partial_json,
//     thinking_delta.thinking; a message's text, thinking and tool_use input.
//   - Gemini: parts[].text (thoughts included), functionCall.args,
//     executableCode.code.
var (
	chatMembers        = []contentMember{str("content"), str("reasoning_content"), str("reasoning"), str("refusal"), str("arguments")}
	responsesEvMembers = []contentMember{str("delta")}
	responsesMembers   = []contentMember{str("text"), str("arguments"), str("refusal"), str("input")}
	anthropicEvMembers = []contentMember{str("text"), str("partial_json"), str("thinking")}
	anthropicMembers   = []contentMember{str("text"), str("thinking"), whole("input")}
	geminiMembers      = []contentMember{str("text"), str("code"), whole("args")}
)

// contentMembers returns the content members of an API's events (stream)
// or documents.
func contentMembers(api config.API, stream bool) []contentMember {
	switch api {
	case config.OpenAIChat:
		return chatMembers
	case config.OpenAIResponses:
		if stream {
			return responsesEvMembers
		}
		return responsesMembers
	case config.AnthropicMessages:
		if stream {
			return anthropicEvMembers
		}
		return anthropicMembers
	case config.GeminiGenerateContent:
		return geminiMembers
	}
	return nil
}

// memberKind returns the kind of the member named name in members.
func memberKind(members []contentMember, name []byte) uint8 {
	for _, m := range members {
		if len(m.quoted) == len(name)+2 && m.quoted[1:len(m.quoted)-1] == string(name) {
			return m.kind
		}
	}
	return kindNone
}

// contentMeasure is content measured: weighted units and non-empty values.
type contentMeasure struct {
	units, values int64
}

func (m *contentMeasure) add(b []byte) {
	if len(b) > 0 {
		m.units += contentUnits(b)
		m.values++
	}
}

func (m contentMeasure) tokens() int64 { return tokensFor(m.units, m.values) }

// measureEvent measures the content members in one event's data (complete,
// or cut short when the stream broke mid-event). It hops from one ':' to
// the next and matches the quoted name before it against members, skipping
// over each content value it measures. That is exact on JSON: a quote
// inside a string value is escaped, so a colon in a string is never
// preceded by a closing quote that follows a member's name. Hopping over
// colons (a dozen per event) with IndexByte costs far less than walking
// the event or searching it once per member.
func measureEvent(data []byte, members []contentMember) contentMeasure {
	var m contentMeasure
	for rest := data; ; {
		c := bytes.IndexByte(rest, ':')
		if c < 0 {
			return m
		}
		kind := memberBefore(rest[:c], members)
		rest = rest[c+1:]
		if kind == kindNone {
			continue
		}
		j := skipSpace(rest, 0)
		if j == len(rest) {
			return m
		}
		switch v := rest[j]; {
		case v == '"' && kind == kindString:
			n := stringLen(rest[j+1:])
			m.add(rest[j+1 : j+1+n])
			rest = rest[j+1+n:]
		case (v == '{' || v == '[') && kind == kindWhole:
			n := objectEnd(rest[j:])
			if n == 0 {
				n = len(rest) - j // cut mid-value: what arrived
			}
			m.add(rest[j : j+n])
			rest = rest[j+n:]
		}
	}
}

// memberBefore returns the kind of the member whose quoted name ends b
// (before optional spaces), kindNone if none of members.
func memberBefore(b []byte, members []contentMember) uint8 {
	j := len(b)
	for j > 0 && isSpace(b[j-1]) {
		j--
	}
	if j < 3 || b[j-1] != '"' {
		return kindNone
	}
	last := b[j-2]
	for _, mem := range members {
		q := mem.quoted
		if q[len(q)-2] != last || j < len(q) || string(b[j-len(q):j]) != q {
			continue
		}
		if k := j - len(q); k > 0 && b[k-1] == '\\' {
			return kindNone // the name's quote is escaped: inside a string
		}
		return mem.kind
	}
	return kindNone
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringLen returns the length of the JSON string contents at the start of
// b, up to its closing quote (excluded), or len(b) when it does not close.
func stringLen(b []byte) int {
	for i := 0; i < len(b); {
		j := bytescan.IndexEither(b[i:], '"', '\\')
		if j < 0 {
			return len(b)
		}
		i += j
		if b[i] == '"' {
			return i
		}
		i += 2 // a backslash and the byte it escapes
	}
	return len(b)
}

// objectEnd returns the length of the JSON object or array at the start of
// b (which begins with '{' or '['), or 0 when it does not close within b.
// It matches brackets outside strings without validating: the estimate
// measures what arrived, even cut or malformed, and decides nothing that
// an exact reader (members.go) should.
func objectEnd(b []byte) int {
	depth := 0
	inStr, esc := false, false
	for i, c := range b {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}
