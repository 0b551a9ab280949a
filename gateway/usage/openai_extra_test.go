package usage

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

// OpenAI reports the service tier beside usage, and Responses' web and
// file search calls as output items: both reach the usage the gateway
// prices, streamed or not.
func TestOpenAITierAndSearchCalls(t *testing.T) {
	tests := []struct {
		name     string
		api      config.API
		body     string
		tier     string
		searches int64
	}{
		{"chat json tier after usage", config.OpenAIChat,
			`{"id":"c","usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12},"service_tier":"flex"}`, "flex", 0},
		{"chat json tier before usage", config.OpenAIChat,
			`{"id":"c","service_tier":"priority","usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}`, "priority", 0},
		{"chat stream", config.OpenAIChat,
			"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"service_tier\":\"flex\"}\n\n" +
				"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,\"total_tokens\":12},\"service_tier\":\"flex\"}\n\ndata: [DONE]\n\n", "flex", 0},
		{"responses json tier", config.OpenAIResponses,
			`{"id":"resp_1","service_tier":"flex","output":[],"usage":{"input_tokens":10,"output_tokens":2}}`, "flex", 0},
		{"responses stream searches", config.OpenAIResponses,
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"service_tier\":\"default\"," +
				"\"output\":[{\"type\":\"web_search_call\",\"status\":\"completed\"},{\"type\":\"web_search_call\",\"status\":\"failed\"},{\"type\":\"message\"}]," +
				"\"usage\":{\"input_tokens\":10,\"output_tokens\":2}}}\n\n", "default", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewExtractor(tt.api, false)
			e.Write([]byte(tt.body))
			e.Finish(true)
			u := e.Result()
			if u.ServiceTier != tt.tier || u.WebSearches != tt.searches || u.InputTokens != 10 {
				t.Errorf("usage %+v; want tier %q, %d searches", u, tt.tier, tt.searches)
			}
		})
	}
}
