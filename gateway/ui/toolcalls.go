package ui

import (
	"bytes"
	"encoding/json"

	"github.com/tsplug/ts-plug/gateway/answers"
	"github.com/tsplug/ts-plug/gateway/config"
)

// toolCall is one tool the model asked to call, as the detail page shows
// it.
type toolCall struct {
	ID   string
	Name string
	Args string // JSON arguments, indented; unparsable ones as they came
}

// toolCalls finds the tool calls in a captured response of any of the
// four APIs, whole JSON or a stream, as package answers reads them. The
// detail page does not say which API the body is in, so each is tried in
// turn: an answer of one API has no calls in another's shape.
func toolCalls(body []byte) []toolCall {
	for _, api := range config.APIs {
		if calls := toolCallsOf(api, body); calls != nil {
			return calls
		}
	}
	return nil
}

// toolCallsOf is the tool calls of an answer of api, made readable.
func toolCallsOf(api config.API, body []byte) []toolCall {
	var out []toolCall
	for _, c := range answers.ToolCalls(api, body) {
		out = append(out, toolCall{ID: c.ID, Name: c.Name, Args: showParams(c.Params)})
	}
	return out
}

// showParams indents parsed arguments; arguments that were not JSON
// (kept as a JSON string) are shown as the model wrote them.
func showParams(p json.RawMessage) string {
	var s string
	if json.Unmarshal(p, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Indent(&buf, p, "", "  ") != nil {
		return string(p)
	}
	return buf.String()
}
