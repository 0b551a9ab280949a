package routing

import "testing"

func TestJoinURL(t *testing.T) {
	tests := []struct {
		name, base, path, query string
		want                    string
		wantErr                 bool
	}{
		{"plain host", "https://api.openai.com", "/v1/chat/completions", "", "https://api.openai.com/v1/chat/completions", false},
		{"trailing slash", "https://api.openai.com/", "/v1/responses", "", "https://api.openai.com/v1/responses", false},
		{"openrouter prefix", "https://openrouter.ai/api/", "/v1/chat/completions", "", "https://openrouter.ai/api/v1/chat/completions", false},
		{"doubled v1 collapsed", "https://x/v1", "/v1/chat/completions", "", "https://x/v1/chat/completions", false},
		{"doubled v1 with slash", "http://llama:8080/v1/", "/v1/chat/completions", "", "http://llama:8080/v1/chat/completions", false},
		{"z.ai v4", "https://api.z.ai/api/paas/v4", "/v1/chat/completions", "", "https://api.z.ai/api/paas/v4/chat/completions", false},
		{"z.ai versionless", "https://api.z.ai/api/coding/paas/v4", "/chat/completions", "", "https://api.z.ai/api/coding/paas/v4/chat/completions", false},
		{"v1beta base v1 path", "https://g/v1beta", "/v1/models", "", "https://g/v1beta/models", false},
		{"gemini", "https://generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", "alt=sse",
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", false},
		{"gemini doubled v1beta", "https://generativelanguage.googleapis.com/v1beta", "/v1beta/models/g:generateContent", "",
			"https://generativelanguage.googleapis.com/v1beta/models/g:generateContent", false},
		{"versionless gets v1", "https://api.openai.com", "/chat/completions", "", "https://api.openai.com/v1/chat/completions", false},
		{"versionless messages", "https://api.anthropic.com", "/messages", "", "https://api.anthropic.com/v1/messages", false},
		{"versionless openrouter", "https://openrouter.ai/api", "/chat/completions", "", "https://openrouter.ai/api/v1/chat/completions", false},
		{"other paths untouched", "https://x", "/bedrock/model/m/invoke", "", "https://x/bedrock/model/m/invoke", false},
		{"foundry prefix", "https://r.services.ai.azure.com/api/projects/p/openai/", "/v1/responses", "api-version=2025",
			"https://r.services.ai.azure.com/api/projects/p/openai/v1/responses?api-version=2025", false},
		{"query merged", "https://x/base?key=1", "/v1/chat/completions", "a=b", "https://x/base/v1/chat/completions?key=1&a=b", false},
		{"escaped path kept", "https://bedrock", "/model/us.anthropic.claude%3A0/invoke", "", "https://bedrock/model/us.anthropic.claude%3A0/invoke", false},
		{"no leading slash", "https://x", "v1/messages", "", "https://x/v1/messages", false},
		{"dotdot refused", "https://x/api", "/v1/../../admin", "", "", true},
		{"escaped dotdot refused", "https://x/api", "/v1/%2e%2e/admin", "", "", true},
		{"relative base", "api.openai.com", "/v1/x", "", "", true},
		{"ftp base", "ftp://x", "/v1/x", "", "", true},
		{"bad base", "http://[::1", "/v1/x", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JoinURL(tt.base, tt.path, tt.query)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("JoinURL(%q, %q, %q) = %q, want %q", tt.base, tt.path, tt.query, got, tt.want)
			}
		})
	}
}
