package fakellm

import "github.com/tsplug/ts-plug/gateway/config"

// modelsCreated is the fixed creation time the model list reports.
const modelsCreated = 1735689600 // 2025-01-01T00:00:00Z

// listModels answers GET /v1/models: OpenAI's list object, or Anthropic's
// paginated list when the request carries an anthropic-version header.
func (x *exchange) listModels() error {
	x.s.mu.Lock()
	models := append([]string(nil), x.s.models...)
	x.s.mu.Unlock()
	data := make([]any, 0, len(models))
	if x.route.api == config.AnthropicMessages {
		for _, m := range models {
			data = append(data, obj{
				{"type", "model"},
				{"id", m},
				{"display_name", m},
				{"created_at", "2025-01-01T00:00:00Z"},
			})
		}
		var first, last any
		if len(models) > 0 {
			first, last = models[0], models[len(models)-1]
		}
		return x.writeJSON(obj{{"data", data}, {"has_more", false}, {"first_id", first}, {"last_id", last}}, replyText{})
	}
	for _, m := range models {
		data = append(data, obj{{"id", m}, {"object", "model"}, {"created", modelsCreated}, {"owned_by", "fakellm"}})
	}
	return x.writeJSON(obj{{"object", "list"}, {"data", data}}, replyText{})
}
