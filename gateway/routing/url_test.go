package routing

import (
	"regexp"
	"testing"
)

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
		{"colon kept", "https://bedrock", "/model/us.anthropic.claude:0/invoke", "", "https://bedrock/model/us.anthropic.claude:0/invoke", false},
		{"sub-delims kept", "https://x", "/v1/a!$&'()*+,=:@b", "", "https://x/v1/a!$&'()*+,=:@b", false},
		{"gemini fqn slash", "https://g", "/v1beta/models/google/gemini-2.5-pro:generateContent", "", "https://g/v1beta/models/google/gemini-2.5-pro:generateContent", false},
		{"vertex at", "https://g", "/v1/models/claude-3-5@20240620:generateContent", "", "https://g/v1/models/claude-3-5@20240620:generateContent", false},
		{"space escaped once", "https://x", "/v1/a b", "", "https://x/v1/a%20b", false},
		{"semicolon escaped", "https://x", "/v1/a;b", "", "https://x/v1/a%3Bb", false},
		{"non-ascii escaped", "https://x", "/v1/\xc3\xa9", "", "https://x/v1/%C3%A9", false},
		{"escaped base kept", "https://x/a%20b/v1", "/v1/chat/completions", "", "https://x/a%20b/v1/chat/completions", false},
		// The path is decoded: "%" in it means a client double-encoded
		// (%252F), and decoding it again upstream would make "/".
		{"percent refused", "https://x", "/v1/responses/resp_1%2F..", "", "", true},
		{"double-encoded dotdot refused", "https://x/api", "/v1/%2e%2e/admin", "", "", true},
		{"backslash refused", "https://x", "/v1/responses/a\\..\\b", "", "", true},
		{"NUL refused", "https://x", "/v1/responses/resp_1\x00", "", "", true},
		{"question mark refused", "https://x", "/v1/responses/resp_1?x=1", "", "", true},
		{"hash refused", "https://x", "/v1/responses/resp_1#x", "", "", true},
		{"decoded dotdot refused", "https://x", "/v1/responses/resp_1/..", "", "", true},
		{"no leading slash", "https://x", "v1/messages", "", "https://x/v1/messages", false},
		{"dotdot refused", "https://x/api", "/v1/../../admin", "", "", true},
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

// FuzzIsVersionSegment: the hand-written matcher accepts exactly what
// the regular expression it replaced accepts.
func FuzzIsVersionSegment(f *testing.F) {
	re := regexp.MustCompile(`^v\d+((alpha|beta)\d*)?$`)
	for _, s := range []string{"v1", "v4", "v1beta", "v1alpha2", "v1beta3x", "v", "vbeta", "v1gamma", "V1", "v٣", "v1alpha", "v12beta0", "chat", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isVersionSegment(s), re.MatchString(s); got != want {
			t.Fatalf("isVersionSegment(%q) = %v, regexp says %v", s, got, want)
		}
	})
}

// TestJoinURLAllocations: every upstream request joins its provider's
// base URL and path; the base URL is parsed once and a path that needs no
// escape is not copied (it took 6 allocations).
func TestJoinURLAllocations(t *testing.T) {
	JoinURL("https://api.example.com/v1", "/v1/chat/completions", "") // parse the base URL once
	n := testing.AllocsPerRun(100, func() {
		if _, err := JoinURL("https://api.example.com/v1", "/v1/chat/completions", ""); err != nil {
			t.Fatal(err)
		}
	})
	if n > 2 {
		t.Errorf("JoinURL: %v allocations, want at most 2", n)
	}
}
