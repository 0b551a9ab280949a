package fakellm

import (
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
)

// call is what the fake needs to know about one generation request,
// whatever its API: the fields that shape the answer.
type call struct {
	model        string
	stream       bool
	includeUsage bool   // OpenAI chat: stream_options.include_usage
	store        bool   // OpenAI responses: keep the response for GET
	prompt       string // text of the last user message
	// maxTokens is the output limit the request sets (0: none). Like a
	// real provider, the fake never reports more output than that.
	maxTokens int64
}

// parseCall extracts the call from a decoded request body. The model of a
// Gemini request is in its path and is filled in by the router.
func parseCall(api config.API, body any) call {
	root, _ := body.(map[string]any)
	c := call{
		model:  str(root["model"]),
		stream: root["stream"] == true,
		store:  root["store"] != false,
	}
	switch api {
	case config.OpenAIChat:
		opts, _ := root["stream_options"].(map[string]any)
		c.includeUsage = opts["include_usage"] == true
		c.prompt = lastUserText(root["messages"], "role", "content")
	case config.AnthropicMessages:
		c.prompt = lastUserText(root["messages"], "role", "content")
	case config.OpenAIResponses:
		if s, ok := root["input"].(string); ok {
			c.prompt = s
		} else {
			c.prompt = lastUserText(root["input"], "role", "content")
		}
	case config.GeminiGenerateContent:
		c.prompt = lastUserText(root["contents"], "role", "parts")
	}
	for _, k := range []string{"max_tokens", "max_completion_tokens", "max_output_tokens"} {
		if n, ok := root[k].(float64); ok && n > 0 {
			c.maxTokens = int64(n)
		}
	}
	for _, k := range []string{"generationConfig", "generation_config"} {
		g, _ := root[k].(map[string]any)
		for _, gk := range []string{"maxOutputTokens", "max_output_tokens"} {
			if n, ok := g[gk].(float64); ok && n > 0 {
				c.maxTokens = int64(n)
			}
		}
	}
	return c
}

// lastUserText returns the text of the last element of the message list
// whose role is "user" (or, as Gemini allows, absent). The content is a
// plain string or a list of parts whose "text" fields are joined.
func lastUserText(list any, roleKey, contentKey string) string {
	msgs, _ := list.([]any)
	for i := len(msgs) - 1; i >= 0; i-- {
		m, _ := msgs[i].(map[string]any)
		if m == nil {
			continue
		}
		role, hasRole := m[roleKey]
		if hasRole && role != "user" {
			continue
		}
		switch content := m[contentKey].(type) {
		case string:
			return content
		case []any:
			var b strings.Builder
			for _, p := range content {
				pm, _ := p.(map[string]any)
				if t, ok := pm["text"].(string); ok {
					b.WriteString(t)
				}
			}
			return b.String()
		}
		return ""
	}
	return ""
}

// str returns v if it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}
