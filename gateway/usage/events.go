package usage

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// What the meter reads of each API's messages, with memberReader: only the
// members named here, at the level the API puts them.
var (
	// An OpenAI chat completion or chunk: usage, and the tier that served
	// the request, which OpenAI reports beside usage rather than in it.
	chatMeterMembers = []string{"usage", "service_tier"}
	// A Responses response object: usage, the tier, and the output items,
	// whose web_search_call and file_search_call items are billed per
	// call (usage does not count them).
	responseMembers   = []string{"usage", "service_tier", "output"}
	outputItemMembers = []string{"type", "status"}
	// A Gemini GenerateContentResponse: usage, and whether it ends the
	// answer (a candidate's finishReason, promptFeedback's blockReason).
	geminiMeterMembers = []string{"usageMetadata", "candidates", "promptFeedback"}
	// The chunk include_usage adds to an OpenAI chat stream.
	usageChunkMembers = []string{"object", "choices", "usage"}
)

// chatUsage reads the usage of an OpenAI chat completion or chunk, or
// false when it has none (no top-level "usage" object).
func (r *memberReader) chatUsage(data []byte) (Usage, bool) {
	var vals [2][]byte
	if !r.members(data, chatMeterMembers, vals[:]) || !isObject(vals[0]) {
		return Usage{}, false
	}
	var w openAIChatUsage
	if !fastChatUsage(vals[0], &w) && !unmarshalFresh(vals[0], &w) {
		return Usage{}, false
	}
	u := w.usage()
	u.ServiceTier = stringValue(vals[1])
	return u, true
}

// responsesUsage reads the usage of a Responses response object, or false
// when it has none.
func (r *memberReader) responsesUsage(resp []byte) (Usage, bool) {
	var vals [3][]byte
	if !r.members(resp, responseMembers, vals[:]) || !isObject(vals[0]) {
		return Usage{}, false
	}
	var w responsesUsage
	if !fastResponsesUsage(vals[0], &w) && !unmarshalFresh(vals[0], &w) {
		return Usage{}, false
	}
	u := w.usage()
	u.ServiceTier = stringValue(vals[1])
	if !isArray(vals[2]) {
		return u, true
	}
	var items [][]byte
	r.elements(vals[2], func(el []byte) {
		if isObject(el) {
			items = append(items, el)
		}
	})
	for _, it := range items {
		var iv [2][]byte
		r.members(it, outputItemMembers, iv[:])
		switch typ, status := stringValue(iv[0]), stringValue(iv[1]); {
		case isWebSearchCall(typ, status):
			u.WebSearches++
		case isFileSearchCall(typ, status):
			u.FileSearches++
		}
	}
	return u, true
}

// anthropicUsage reads the "usage" object of an Anthropic message or
// message_delta event into w, or reports false when it has none.
func (r *memberReader) anthropicUsage(obj []byte, w *anthropicUsage) bool {
	v := r.member(obj, "usage")
	return isObject(v) && (fastAnthropicUsage(v, w) || unmarshalFresh(v, w))
}

// eventType returns the "type" of an event whose SSE "event:" field is
// missing.
func (r *memberReader) eventType(data []byte) string {
	if !mayHaveMember(data, `"type"`) {
		return ""
	}
	return stringValue(r.member(data, "type"))
}

// geminiFinal reports whether a Gemini chunk, whose "candidates" and
// "promptFeedback" values are given, ends the answer: a candidate has a
// finishReason, or the prompt was blocked. scratch is reused for the
// candidates.
func (r *memberReader) geminiFinal(candidates, feedback []byte, scratch *[][]byte) bool {
	if isObject(feedback) && stringValue(r.member(feedback, "blockReason")) != "" {
		return true
	}
	if !isArray(candidates) || !mayHaveMember(candidates, `"finishReason"`) {
		return false
	}
	list := (*scratch)[:0]
	r.elements(candidates, func(el []byte) {
		if isObject(el) {
			list = append(list, el)
		}
	})
	*scratch = list
	for _, c := range list {
		if stringValue(r.member(c, "finishReason")) != "" {
			return true
		}
	}
	return false
}

// isUsageOnlyChunk reports whether data is the chunk include_usage adds: a
// chat.completion.chunk with an empty choices array and a usage object.
func (r *memberReader) isUsageOnlyChunk(data []byte) bool {
	if !mayHaveObjectMember(data, `"usage"`) {
		return false
	}
	var vals [3][]byte
	return r.members(data, usageChunkMembers, vals[:]) &&
		stringValue(vals[0]) == "chat.completion.chunk" && isEmptyArray(vals[1]) && isObject(vals[2])
}

// isObject reports whether the JSON value v (nil for none) is an object.
func isObject(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// isArray reports whether the JSON value v (nil for none) is an array.
func isArray(v []byte) bool { return len(v) > 0 && v[0] == '[' }

// isEmptyArray reports whether the valid JSON value v is an empty array.
func isEmptyArray(v []byte) bool {
	return isArray(v) && len(bytes.TrimLeft(v[1:], " \t\r\n")) == 1
}

// stringValue decodes the valid JSON value v if it is a string, as
// encoding/json does (invalid UTF-8 becomes U+FFFD), else returns "".
func stringValue(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}
