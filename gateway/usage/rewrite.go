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
	info, err := apis.ScanBody(body)
	if err != nil || !info.Stream {
		return body, false
	}
	e, ok := IncludeUsageEdit(body, info)
	if !ok {
		return body, false
	}
	return apis.Apply(body, e), true
}

// includeUsageMember is what IncludeUsageEdit inserts.
const includeUsageMember = `"stream_options":{"include_usage":true}`

// IncludeUsageEdit is IncludeUsageRewrite for a body the gateway has
// already scanned (apis.ScanBody: one valid JSON object with "stream":
// true, whose only "stream_options" member was found after unescaping
// keys), as an edit to apply with the gateway's other edits of the body:
// with no stream_options the member is inserted after the opening brace;
// otherwise the scanned member is rewritten. A byte search for
// "stream_options" would miss an escaped key ("stream\u005foptions")
// that the provider reads, and the client's include_usage:false would then
// win. ok is false when nothing needs to change.
func IncludeUsageEdit(body []byte, info apis.BodyInfo) (e apis.Edit, ok bool) {
	if !info.HasStreamOptions {
		return apis.InsertEdit(body, info, includeUsageMember), true
	}
	so := info.StreamOptions
	opts := body[so.Start:so.End]
	switch {
	case string(opts) == "null":
		return apis.Edit{Span: so, Repl: `{"include_usage":true}`}, true
	case opts[0] == '{':
		inner, innerOpen, err := apis.Members(opts, "include_usage")
		if err != nil {
			return apis.Edit{}, false
		}
		if iu, ok := inner["include_usage"]; ok {
			if string(opts[iu.Start:iu.End]) == "true" {
				return apis.Edit{}, false
			}
			return apis.Edit{Span: apis.Span{Start: so.Start + iu.Start, End: so.Start + iu.End}, Repl: "true"}, true
		}
		ins := `"include_usage":true,`
		if isEmptyObject(opts, innerOpen) {
			ins = ins[:len(ins)-1]
		}
		at := so.Start + innerOpen
		return apis.Edit{Span: apis.Span{Start: at, End: at}, Repl: ins}, true
	}
	// stream_options of the wrong type: the upstream rejects the request
	// anyway; do not guess.
	return apis.Edit{}, false
}
