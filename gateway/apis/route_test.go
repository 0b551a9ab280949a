package apis

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestDetect(t *testing.T) {
	const (
		get  = http.MethodGet
		post = http.MethodPost
		del  = http.MethodDelete
	)
	tests := []struct {
		name   string
		method string
		path   string
		want   Route
		ok     bool
	}{
		// OpenAI chat completions.
		{"chat v1", post, "/v1/chat/completions", Route{API: config.OpenAIChat, Op: OpCreate}, true},
		{"chat versionless", post, "/chat/completions", Route{API: config.OpenAIChat, Op: OpCreate}, true},
		{"chat GET", get, "/v1/chat/completions", Route{}, false},
		{"chat trailing slash", post, "/v1/chat/completions/", Route{}, false},
		{"chat double v1", post, "/v1/v1/chat/completions", Route{}, false},

		// Anthropic messages, as Claude Code sends them.
		{"messages", post, "/v1/messages", Route{API: config.AnthropicMessages, Op: OpCreate}, true},
		{"messages claude code beta query", post, "/v1/messages?beta=true", Route{API: config.AnthropicMessages, Op: OpCreate}, true},
		{"messages versionless", post, "/messages", Route{API: config.AnthropicMessages, Op: OpCreate}, true},
		{"count tokens", post, "/v1/messages/count_tokens?beta=true", Route{API: config.AnthropicMessages, Op: OpCountTokens}, true},
		{"count tokens versionless", post, "/messages/count_tokens", Route{API: config.AnthropicMessages, Op: OpCountTokens}, true},
		{"messages GET", get, "/v1/messages", Route{}, false},
		{"messages batches", post, "/v1/messages/batches", Route{}, false},

		// OpenAI responses, as Codex sends them.
		{"responses", post, "/v1/responses", Route{API: config.OpenAIResponses, Op: OpCreate}, true},
		{"responses versionless", post, "/responses", Route{API: config.OpenAIResponses, Op: OpCreate}, true},
		{"responses websocket GET", get, "/v1/responses", Route{}, false},
		{"responses compact", post, "/v1/responses/compact", Route{API: config.OpenAIResponses, Op: OpCompact}, true},
		{"responses input tokens", post, "/v1/responses/input_tokens", Route{API: config.OpenAIResponses, Op: OpCountTokens}, true},
		{"responses get", get, "/v1/responses/resp_123", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_123"}, true},
		{"responses get stream", get, "/v1/responses/resp_123?stream=true&starting_after=4", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_123", Stream: true}, true},
		{"responses get versionless", get, "/responses/resp_9", Route{API: config.OpenAIResponses, Op: OpGetResponse, ResponseID: "resp_9"}, true},
		{"responses delete", del, "/v1/responses/resp_123", Route{API: config.OpenAIResponses, Op: OpDeleteResponse, ResponseID: "resp_123"}, true},
		{"responses cancel", post, "/v1/responses/resp_123/cancel", Route{API: config.OpenAIResponses, Op: OpCancelResponse, ResponseID: "resp_123"}, true},
		{"responses input items", get, "/v1/responses/resp_123/input_items?limit=10", Route{API: config.OpenAIResponses, Op: OpListInputItems, ResponseID: "resp_123"}, true},
		{"responses POST id", post, "/v1/responses/resp_123", Route{}, false},
		{"responses cancel GET", get, "/v1/responses/resp_123/cancel", Route{}, false},
		{"responses empty id", get, "/v1/responses/", Route{}, false},
		{"responses unknown suffix", get, "/v1/responses/resp_1/other", Route{}, false},

		// Gemini, as Gemini CLI and the genai SDK send it.
		{"gemini generate", post, "/v1beta/models/gemini-2.5-pro:generateContent", Route{API: config.GeminiGenerateContent, Op: OpCreate, Model: "gemini-2.5-pro"}, true},
		{"gemini stream sse", post, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Route{API: config.GeminiGenerateContent, Op: OpCreate, Stream: true, Model: "gemini-2.5-flash"}, true},
		{"gemini count", post, "/v1beta/models/gemini-2.5-pro:countTokens", Route{API: config.GeminiGenerateContent, Op: OpCountTokens, Model: "gemini-2.5-pro"}, true},
		{"gemini v1", post, "/v1/models/gemini-2.0-flash:generateContent", Route{API: config.GeminiGenerateContent, Op: OpCreate, Model: "gemini-2.0-flash"}, true},
		{"gemini v1alpha", post, "/v1alpha/models/g:generateContent", Route{API: config.GeminiGenerateContent, Op: OpCreate, Model: "g"}, true},
		{"gemini versionless", post, "/models/gemini-2.5-pro:streamGenerateContent", Route{API: config.GeminiGenerateContent, Op: OpCreate, Stream: true, Model: "gemini-2.5-pro"}, true},
		{"gemini fqn model", post, "/v1beta/models/google/gemini-2.5-pro:generateContent", Route{API: config.GeminiGenerateContent, Op: OpCreate, Model: "google/gemini-2.5-pro"}, true},
		{"gemini GET", get, "/v1beta/models/gemini-2.5-pro:generateContent", Route{}, false},
		{"gemini unknown verb", post, "/v1beta/models/gemini-2.5-pro:embedContent", Route{}, false},
		{"gemini no verb", post, "/v1beta/models/gemini-2.5-pro", Route{}, false},
		{"gemini empty model", post, "/v1beta/models/:generateContent", Route{}, false},
		{"gemini slash model", post, "/v1beta/models//x:generateContent", Route{}, false},
		{"gemini list", get, "/v1beta/models", Route{}, false},

		// The gateway's own endpoints are not provider routes.
		{"models list", get, "/v1/models", Route{}, false},
		{"models list POST", post, "/v1/models", Route{}, false},
		{"api", get, "/api/providers", Route{}, false},
		{"root", get, "/", Route{}, false},
		{"empty", post, "", Route{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := detectTarget(tt.method, tt.path)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Detect(%s, %q) = %+v, %v; want %+v, %v", tt.method, tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// detectTarget classifies a request target as the gateway does: the
// path decoded once, the query read for stream hints.
func detectTarget(method, target string) (Route, bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return Route{}, false
	}
	rt, err := DetectURL(method, u)
	rt.Path = ""
	return rt, err == nil
}

func TestRouteModelInBody(t *testing.T) {
	tests := []struct {
		method, path string
		want         bool
	}{
		{http.MethodPost, "/v1/chat/completions", true},
		{http.MethodPost, "/v1/messages", true},
		{http.MethodPost, "/v1/messages/count_tokens", true},
		{http.MethodPost, "/v1/responses", true},
		{http.MethodPost, "/v1/responses/compact", true},
		{http.MethodPost, "/v1/responses/input_tokens", true},
		{http.MethodGet, "/v1/responses/resp_1", false},
		{http.MethodPost, "/v1/responses/resp_1/cancel", false},
		{http.MethodPost, "/v1beta/models/g:generateContent", false},
	}
	for _, tt := range tests {
		rt, ok := Detect(tt.method, tt.path)
		if !ok {
			t.Fatalf("Detect(%s, %q) failed", tt.method, tt.path)
		}
		if got := rt.ModelInBody(); got != tt.want {
			t.Errorf("%s %s: ModelInBody = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestAPIFromPath(t *testing.T) {
	tests := []struct {
		path string
		want config.API
	}{
		{"/v1/chat/completions", config.OpenAIChat},
		{"/chat/completions", config.OpenAIChat},
		{"/v1/chat/completions/abc", config.OpenAIChat},
		{"/v1/responses", config.OpenAIResponses},
		{"/v1/responses/resp_1/input_items", config.OpenAIResponses},
		{"/responses/x/y/z", config.OpenAIResponses},
		{"/v1/messages?beta=true", config.AnthropicMessages},
		{"/v1/messages/batches", config.AnthropicMessages},
		{"/messages", config.AnthropicMessages},
		{"/v1beta/models/g:generateContent", config.GeminiGenerateContent},
		{"/v1beta/models/g:embedContent", config.GeminiGenerateContent},
		{"/v1beta/models", config.GeminiGenerateContent},
		{"/v1/models/g:streamGenerateContent?alt=sse", config.GeminiGenerateContent},
		{"/models/g:countTokens", config.GeminiGenerateContent},
		{"/v1/models", ""},
		{"/v1/models/gpt-5", ""},
		{"/v1/messagesx", ""},
		{"/v1/responsesx", ""},
		{"/api/quotas", ""},
		{"/ui/", ""},
		{"/metrics", ""},
		{"/", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := APIFromPath(tt.path); got != tt.want {
			t.Errorf("APIFromPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
