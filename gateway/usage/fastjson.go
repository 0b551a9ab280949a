package usage

import (
	"bytes"
	"strconv"
	"strings"
)

// The usage object of a non-streamed answer is decoded on every request.
// json.Unmarshal spent about 8 µs per request on it (validation and
// reflection over a dozen members), more than the gateway's scans of the
// whole request and answer. The decoders here read the common shape
// directly: an object of integer members (and Anthropic's service_tier
// string), one level of nested objects of integers, other scalar members
// ignored. Anything else (escapes in names,
// fractions, deeper nesting, arrays, duplicate names, names that match a
// field only case-insensitively, trailing bytes) makes them report false,
// and the caller decodes with encoding/json, so the result is always
// exactly json.Unmarshal's (FuzzFastUsage checks that).

// lexer reads one JSON value from b.
type lexer struct {
	b []byte
	i int
}

func (l *lexer) ws() {
	for l.i < len(l.b) && isSpace(l.b[l.i]) {
		l.i++
	}
}

// name reads a member name without escapes or non-ASCII bytes.
func (l *lexer) name() ([]byte, bool) {
	if l.i >= len(l.b) || l.b[l.i] != '"' {
		return nil, false
	}
	start := l.i + 1
	for j := start; j < len(l.b); j++ {
		switch c := l.b[j]; {
		case c == '"':
			l.i = j + 1
			return l.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// literal consumes word if it is next.
func (l *lexer) literal(word string) bool {
	if len(l.b)-l.i >= len(word) && string(l.b[l.i:l.i+len(word)]) == word {
		l.i += len(word)
		return true
	}
	return false
}

// integer reads an integer that fits int64: a JSON number without
// fraction or exponent.
func (l *lexer) integer() (int64, bool) {
	start := l.i
	if l.i >= len(l.b) || !l.number() {
		return 0, false
	}
	lit := l.b[start:l.i]
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil || bytes.ContainsAny(lit, ".eE") {
		l.i = start
		return 0, false
	}
	return n, true
}

// int64Field reads an integer member into dst; null leaves dst as is,
// as json.Unmarshal does for a non-pointer field.
func (l *lexer) int64Field(dst *int64) bool {
	if l.literal("null") {
		return true
	}
	n, ok := l.integer()
	if ok {
		*dst = n
	}
	return ok
}

// int64Ptr reads an integer member into a pointer field; null sets nil.
func (l *lexer) int64Ptr(dst **int64) bool {
	if l.literal("null") {
		*dst = nil
		return true
	}
	n, ok := l.integer()
	if ok {
		*dst = &n
	}
	return ok
}

// stringPtr reads a string member into a pointer field; null sets nil.
// Only strings of printable ASCII without escapes are read here, whose
// value is their bytes; others are left to encoding/json (which would
// unescape them or replace invalid UTF-8).
func (l *lexer) stringPtr(dst **string) bool {
	if l.literal("null") {
		*dst = nil
		return true
	}
	if l.i >= len(l.b) || l.b[l.i] != '"' {
		return false
	}
	for j := l.i + 1; j < len(l.b); j++ {
		switch c := l.b[j]; {
		case c == '"':
			v := string(l.b[l.i+1 : j])
			*dst = &v
			l.i = j + 1
			return true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return false
		}
	}
	return false
}

// scalar skips a string (without escapes), number, true, false or null.
func (l *lexer) scalar() bool {
	if l.i >= len(l.b) {
		return false
	}
	switch c := l.b[l.i]; {
	case c == '"':
		for j := l.i + 1; j < len(l.b); j++ {
			switch c := l.b[j]; {
			case c == '"':
				l.i = j + 1
				return true
			case c == '\\' || c < 0x20:
				return false
			}
		}
		return false
	case c == '-' || (c >= '0' && c <= '9'):
		return l.number()
	default:
		return l.literal("true") || l.literal("false") || l.literal("null")
	}
}

// number skips a JSON number.
func (l *lexer) number() bool {
	j := l.i
	if l.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(l.b) && l.b[j] >= '0' && l.b[j] <= '9' {
		j++
	}
	if j == digits || (l.b[digits] == '0' && j-digits > 1) {
		return false
	}
	if j < len(l.b) && l.b[j] == '.' {
		j++
		d := j
		for j < len(l.b) && l.b[j] >= '0' && l.b[j] <= '9' {
			j++
		}
		if j == d {
			return false
		}
	}
	if j < len(l.b) && (l.b[j] == 'e' || l.b[j] == 'E') {
		j++
		if j < len(l.b) && (l.b[j] == '+' || l.b[j] == '-') {
			j++
		}
		d := j
		for j < len(l.b) && l.b[j] >= '0' && l.b[j] <= '9' {
			j++
		}
		if j == d {
			return false
		}
	}
	l.i = j
	return true
}

// object reads an object, calling member for each name with the lexer at
// the value; member consumes the value. Repeated names fail (json.Unmarshal
// would merge or overwrite them in ways not worth copying).
func (l *lexer) object(member func(name []byte) bool) bool {
	l.ws()
	if l.i >= len(l.b) || l.b[l.i] != '{' {
		return false
	}
	l.i++
	var seen [16][]byte
	n := 0
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == '}' {
		l.i++
		return true
	}
	for {
		l.ws()
		k, ok := l.name()
		if !ok {
			return false
		}
		for _, s := range seen[:n] {
			if string(s) == string(k) {
				return false
			}
		}
		if n == len(seen) {
			return false
		}
		seen[n] = k
		n++
		l.ws()
		if l.i >= len(l.b) || l.b[l.i] != ':' {
			return false
		}
		l.i++
		l.ws()
		if !member(k) {
			return false
		}
		l.ws()
		if l.i >= len(l.b) {
			return false
		}
		switch l.b[l.i] {
		case ',':
			l.i++
		case '}':
			l.i++
			return true
		default:
			return false
		}
	}
}

// end reports whether only whitespace is left.
func (l *lexer) end() bool {
	l.ws()
	return l.i == len(l.b)
}

// unknown skips the value of a member no field takes. A name that a
// field would take case-insensitively is left to encoding/json.
func (l *lexer) unknown(name []byte, fields ...string) bool {
	for _, f := range fields {
		if strings.EqualFold(string(name), f) {
			return false
		}
	}
	return l.skip(2)
}

// skip skips a value no field takes: a scalar, or an object or array
// nested at most depth levels.
func (l *lexer) skip(depth int) bool {
	if l.i >= len(l.b) {
		return false
	}
	c := l.b[l.i]
	if c != '{' && c != '[' {
		return l.scalar()
	}
	if depth == 0 {
		return false
	}
	closer := byte('}')
	if c == '[' {
		closer = ']'
	}
	l.i++
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == closer {
		l.i++
		return true
	}
	for {
		l.ws()
		if c == '{' {
			if l.i >= len(l.b) || l.b[l.i] != '"' || !l.scalar() {
				return false // a member name
			}
			l.ws()
			if l.i >= len(l.b) || l.b[l.i] != ':' {
				return false
			}
			l.i++
			l.ws()
		}
		if !l.skip(depth - 1) {
			return false
		}
		l.ws()
		if l.i >= len(l.b) {
			return false
		}
		switch l.b[l.i] {
		case ',':
			l.i++
		case closer:
			l.i++
			return true
		default:
			return false
		}
	}
}

// nested reads a member holding an object into a fresh *dst (null sets
// it nil, as encoding/json does), calling member for each of its names.
func nested[T any](l *lexer, dst **T, member func(d *T, name []byte) bool) bool {
	if l.literal("null") {
		*dst = nil
		return true
	}
	d := new(T)
	*dst = d
	return l.object(func(k []byte) bool { return member(d, k) })
}

// fastChatUsage decodes an OpenAI chat completions usage object.
func fastChatUsage(b []byte, w *openAIChatUsage) bool {
	l := lexer{b: b}
	return l.object(func(k []byte) bool {
		switch string(k) {
		case "prompt_tokens":
			return l.int64Field(&w.PromptTokens)
		case "completion_tokens":
			return l.int64Field(&w.CompletionTokens)
		case "prompt_tokens_details":
			return nested(&l, &w.PromptTokensDetails, func(d *chatPromptDetails, k []byte) bool {
				switch string(k) {
				case "cached_tokens":
					return l.int64Field(&d.CachedTokens)
				case "cache_write_tokens":
					return l.int64Field(&d.CacheWriteTokens)
				case "audio_tokens":
					return l.int64Field(&d.AudioTokens)
				}
				return l.unknown(k, "cached_tokens", "cache_write_tokens", "audio_tokens")
			})
		case "completion_tokens_details":
			return nested(&l, &w.CompletionTokensDetails, func(d *chatCompletionDetails, k []byte) bool {
				switch string(k) {
				case "reasoning_tokens":
					return l.int64Field(&d.ReasoningTokens)
				case "audio_tokens":
					return l.int64Field(&d.AudioTokens)
				}
				return l.unknown(k, "reasoning_tokens", "audio_tokens")
			})
		}
		return l.unknown(k, "prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")
	}) && l.end()
}

// fastResponsesUsage decodes an OpenAI Responses usage object.
func fastResponsesUsage(b []byte, w *responsesUsage) bool {
	l := lexer{b: b}
	return l.object(func(k []byte) bool {
		switch string(k) {
		case "input_tokens":
			return l.int64Field(&w.InputTokens)
		case "output_tokens":
			return l.int64Field(&w.OutputTokens)
		case "input_tokens_details":
			return nested(&l, &w.InputTokensDetails, func(d *responsesInputDetails, k []byte) bool {
				if string(k) == "cached_tokens" {
					return l.int64Field(&d.CachedTokens)
				}
				return l.unknown(k, "cached_tokens")
			})
		case "output_tokens_details":
			return nested(&l, &w.OutputTokensDetails, func(d *responsesOutputDetails, k []byte) bool {
				if string(k) == "reasoning_tokens" {
					return l.int64Field(&d.ReasoningTokens)
				}
				return l.unknown(k, "reasoning_tokens")
			})
		}
		return l.unknown(k, "input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")
	}) && l.end()
}

// fastAnthropicUsage decodes an Anthropic usage object.
func fastAnthropicUsage(b []byte, w *anthropicUsage) bool {
	l := lexer{b: b}
	return l.object(func(k []byte) bool {
		switch string(k) {
		case "input_tokens":
			return l.int64Ptr(&w.InputTokens)
		case "output_tokens":
			return l.int64Ptr(&w.OutputTokens)
		case "cache_read_input_tokens":
			return l.int64Ptr(&w.CacheReadInputTokens)
		case "cache_creation_input_tokens":
			return l.int64Ptr(&w.CacheCreationInputTokens)
		case "cache_creation":
			return nested(&l, &w.CacheCreation, func(d *anthropicCacheCreation, k []byte) bool {
				switch string(k) {
				case "ephemeral_5m_input_tokens":
					return l.int64Ptr(&d.Ephemeral5m)
				case "ephemeral_1h_input_tokens":
					return l.int64Ptr(&d.Ephemeral1h)
				}
				return l.unknown(k, "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
			})
		case "server_tool_use":
			return nested(&l, &w.ServerToolUse, func(d *anthropicServerToolUse, k []byte) bool {
				switch string(k) {
				case "web_search_requests":
					return l.int64Ptr(&d.WebSearchRequests)
				case "web_fetch_requests":
					return l.int64Ptr(&d.WebFetchRequests)
				}
				return l.unknown(k, "web_search_requests", "web_fetch_requests")
			})
		case "service_tier":
			return l.stringPtr(&w.ServiceTier)
		}
		return l.unknown(k, "input_tokens", "output_tokens", "cache_read_input_tokens",
			"cache_creation_input_tokens", "cache_creation", "server_tool_use", "service_tier")
	}) && l.end()
}
