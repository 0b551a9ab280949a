package gateway

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/routing"
)

// maxHintModels bounds the model IDs an unknown-model answer lists.
const maxHintModels = 25

// modelHint is the end of an unknown-model answer: the models the caller
// may use over api (their IDs as the caller would send them, in the
// /v1/models order) and how the usual client of that API picks one.
func modelHint(c *caller, api config.API) string {
	var ids []string
	for _, m := range routing.Models(c.cfg(), c.access) {
		if slices.Contains(m.APIs, api) && !slices.Contains(ids, m.ID) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Sprintf("; you may use no model over %s here (GET /v1/models lists what you may use)", apiLabel(api))
	}
	list := ids
	more := ""
	if len(list) > maxHintModels {
		more = fmt.Sprintf(" and %d more (GET /v1/models lists them all)", len(list)-maxHintModels)
		list = list[:maxHintModels]
	}
	return fmt.Sprintf("; you may use: %s%s (%s)", strings.Join(list, ", "), more, chooseModelHow(api))
}

// chooseModelHow says how the usual client of api is told which model to
// send.
func chooseModelHow(api config.API) string {
	switch api {
	case config.AnthropicMessages:
		return "Claude Code: set ANTHROPIC_MODEL or pass --model; other clients: the request's \"model\""
	case config.OpenAIResponses:
		return "Codex: model = \"...\" in config.toml or codex -m MODEL; other clients: the request's \"model\""
	case config.OpenAIChat:
		return "send one of them as the request's \"model\""
	case config.GeminiGenerateContent:
		return "Gemini CLI: set GEMINI_MODEL or pass -m MODEL; other clients: the model in the URL path"
	}
	return "send one of them as the model"
}
