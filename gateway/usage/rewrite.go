package usage

import (
	"bytes"

	"github.com/tsplug/ts-plug/gateway/apis"
)

// isEmptyObject reports whether the object starting at doc[open-1] ('{')
// has no members.
func isEmptyObject(doc []byte, open int) bool {
	rest := bytes.TrimLeft(doc[open:], " \t\r\n")
	return len(rest) > 0 && rest[0] == '}'
}

// IncludeUsageRewrite makes a streamed OpenAI chat completions request
// report its usage. OpenAI only sends usage in a stream when the request
// sets stream_options.include_usage; clients that leave it out would
// otherwise be metered at $0. For a body with "stream":true whose
// stream_options.include_usage is not already true, it returns a copy of the
// body with it set to true, changing as few bytes as possible (everything
// else, including key order and whitespace, is kept), and injected=true:
// the client did not ask for the usage chunk, so its answer should be
// passed through a UsageChunkFilter. Otherwise (not streamed, already
// asked, or not a valid JSON object) it returns body unchanged and false.
func IncludeUsageRewrite(body []byte) (out []byte, injected bool) {
	members, open, err := apis.Members(body, "stream", "stream_options")
	if err != nil {
		return body, false
	}
	st, ok := members["stream"]
	if !ok || string(body[st.Start:st.End]) != "true" {
		return body, false
	}
	so, ok := members["stream_options"]
	if !ok {
		ins := `"stream_options":{"include_usage":true},`
		if isEmptyObject(body, open) {
			ins = ins[:len(ins)-1] // unreachable with "stream" present; kept for safety
		}
		return apis.Splice(body, apis.Span{Start: open, End: open}, ins), true
	}
	opts := body[so.Start:so.End]
	switch {
	case string(opts) == "null":
		return apis.Splice(body, so, `{"include_usage":true}`), true
	case len(opts) > 0 && opts[0] == '{':
		inner, innerOpen, err := apis.Members(opts, "include_usage")
		if err != nil {
			return body, false
		}
		if iu, ok := inner["include_usage"]; ok {
			if string(opts[iu.Start:iu.End]) == "true" {
				return body, false
			}
			return apis.Splice(body, apis.Span{Start: so.Start + iu.Start, End: so.Start + iu.End}, "true"), true
		}
		ins := `"include_usage":true,`
		if isEmptyObject(opts, innerOpen) {
			ins = ins[:len(ins)-1]
		}
		at := so.Start + innerOpen
		return apis.Splice(body, apis.Span{Start: at, End: at}, ins), true
	default:
		// stream_options of the wrong type: the upstream rejects the
		// request anyway; do not guess.
		return body, false
	}
}

// includeUsageMember is what InsertIncludeUsage adds.
const includeUsageMember = `"stream_options":{"include_usage":true},`

// InsertIncludeUsage is IncludeUsageRewrite's fast path for a body the
// caller has already validated as one JSON object with "stream": true at
// its top level (the gateway's body scan does both). When the body has no
// "stream_options" anywhere, the member is inserted after the opening
// brace, found without parsing; otherwise it falls back to
// IncludeUsageRewrite.
func InsertIncludeUsage(body []byte) (out []byte, injected bool) {
	if bytes.Contains(body, []byte(`"stream_options"`)) {
		return IncludeUsageRewrite(body)
	}
	open := bytes.IndexByte(body, '{')
	if open < 0 || len(bytes.TrimSpace(body[:open])) != 0 {
		return body, false
	}
	return apis.Splice(body, apis.Span{Start: open + 1, End: open + 1}, includeUsageMember), true
}
