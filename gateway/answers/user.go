package answers

import (
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// UserMessage returns the text of the last message the user wrote in a
// request body of api, or "" when there is none (or the body does not
// parse, or api is unknown):
//
//   - OpenAI chat: the last messages[] entry with role "user"; its content
//     string, or its "text" parts joined;
//   - OpenAI responses: input when it is a string, else the last input
//     item with role "user"; its content string, or its "input_text" (and
//     "text") parts joined;
//   - Anthropic messages: the last messages[] entry with role "user"; its
//     content string, or its "text" blocks joined;
//   - Gemini: the last contents[] entry with role "user" or no role; its
//     parts' text joined.
//
// Parts of one message are joined with "\n". Tool results are not what
// the user wrote: Anthropic tool_result blocks and Gemini functionResponse
// parts are skipped, and a message carrying no text of the user's (only
// tool results, images or files) is passed over for the one before it.
// That makes every API agree, since chat and responses send tool results
// in messages or items of their own, never as the user's: in an agent
// loop, the user message stays the instruction that started it.
func UserMessage(api config.API, requestBody []byte) string {
	o := decodeObject(requestBody)
	if o == nil {
		return ""
	}
	switch api {
	case config.OpenAIChat, config.AnthropicMessages:
		return lastUserText(o.objects("messages"), func(m object) bool { return m.str("role") == "user" }, "content", textParts("text"))
	case config.OpenAIResponses:
		if s, ok := o.optStr("input"); ok {
			return s
		}
		return lastUserText(o.objects("input"), func(m object) bool { return m.str("role") == "user" }, "content", textParts("input_text", "text"))
	case config.GeminiGenerateContent:
		return lastUserText(o.objects("contents"), func(m object) bool {
			r := m.str("role")
			return r == "user" || r == ""
		}, "parts", geminiText)
	}
	return ""
}

// lastUserText walks messages back from the end to the last one from the
// user with text in member field: a string, or the texts text picks out
// of its parts.
func lastUserText(msgs []object, fromUser func(object) bool, field string, text func(object) (string, bool)) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if !fromUser(m) {
			continue
		}
		if s, ok := m.optStr(field); ok {
			if s != "" {
				return s
			}
			continue
		}
		var texts []string
		for _, p := range m.objects(field) {
			if s, ok := text(p); ok && s != "" {
				texts = append(texts, s)
			}
		}
		if len(texts) > 0 {
			return strings.Join(texts, "\n")
		}
	}
	return ""
}

// textParts picks the text of content parts of the given types.
func textParts(types ...string) func(object) (string, bool) {
	return func(p object) (string, bool) {
		t := p.str("type")
		for _, want := range types {
			if t == want {
				return p.optStr("text")
			}
		}
		return "", false
	}
}

// geminiText picks the text of a Gemini part; parts without one (inline
// data, function calls and responses) have none. A thought part is the
// model's, never in a user's turn, but is skipped all the same.
func geminiText(p object) (string, bool) {
	if isThought(p) {
		return "", false
	}
	return p.optStr("text")
}
