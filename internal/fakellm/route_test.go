package fakellm

import (
	"net/http/httptest"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestRouteOf(t *testing.T) {
	tests := []struct {
		method, target string
		header         string // anthropic-version value, if any
		want           route
	}{
		{"POST", "/v1/chat/completions", "", route{api: config.OpenAIChat, kind: kindGenerate}},
		{"GET", "/v1/chat/completions", "", route{}},
		{"POST", "/v1/v1/chat/completions", "", route{}},
		{"POST", "/chat/completions", "", route{}},
		{"POST", "/v1/responses", "", route{api: config.OpenAIResponses, kind: kindGenerate}},
		{"GET", "/v1/responses/resp_1", "", route{api: config.OpenAIResponses, kind: kindGetResponse, id: "resp_1"}},
		{"DELETE", "/v1/responses/resp_1", "", route{api: config.OpenAIResponses, kind: kindDeleteResponse, id: "resp_1"}},
		{"GET", "/v1/responses/resp_1/input_items", "", route{}},
		{"POST", "/v1/messages", "", route{api: config.AnthropicMessages, kind: kindGenerate}},
		{"POST", "/v1/messages/count_tokens", "", route{api: config.AnthropicMessages, kind: kindCountTokens}},
		{"GET", "/v1/models", "", route{api: config.OpenAIChat, kind: kindModels}},
		{"GET", "/v1/models", "2023-06-01", route{api: config.AnthropicMessages, kind: kindModels}},
		{"POST", "/v1beta/models/gemini-2.5-flash:generateContent", "", route{api: config.GeminiGenerateContent, kind: kindGenerate, model: "gemini-2.5-flash"}},
		{"POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "", route{api: config.GeminiGenerateContent, kind: kindGenerate, model: "gemini-2.5-flash", stream: true, sse: true}},
		{"POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "", route{api: config.GeminiGenerateContent, kind: kindGenerate, model: "gemini-2.5-flash", stream: true}},
		{"POST", "/v1/models/gemini-2.5-pro:generateContent", "", route{api: config.GeminiGenerateContent, kind: kindGenerate, model: "gemini-2.5-pro"}},
		{"POST", "/v1beta/models/gemini-2.5-flash:countTokens", "", route{}},
		{"POST", "/v1beta/models/:generateContent", "", route{}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.header != "" {
				r.Header.Set("anthropic-version", tt.header)
			}
			if got := routeOf(r); got != tt.want {
				t.Errorf("routeOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGuessAPI(t *testing.T) {
	tests := []struct {
		target, header string
		want           config.API
	}{
		{"/v1beta/whatever", "", config.GeminiGenerateContent},
		{"/v1/complete", "x-api-key", config.AnthropicMessages},
		{"/v1/v1/chat/completions", "", config.OpenAIChat},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", tt.target, nil)
		if tt.header != "" {
			r.Header.Set(tt.header, "k")
		}
		if got := guessAPI(r); got != tt.want {
			t.Errorf("guessAPI(%s) = %q, want %q", tt.target, got, tt.want)
		}
	}
}
