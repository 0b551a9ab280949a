package ui

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestConnect(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	tests := []struct {
		name, viewer string
		hdr          []string
		in, out      []string
	}{
		{"tailnet", "alice", nil, []string{"export ANTHROPIC_BASE_URL=http://ai\n", "claude --model claude-sonnet-4-5",
			`base_url = &#34;http://ai/v1&#34;`, `model = &#34;gpt-4o&#34;`, "curl http://ai/v1/models", `data-copy="code-curl"`,
			`<script src="/ui/static/copy.js">`, "Some Gemini CLI versions refuse a plain http:// address",
			`&#34;baseURL&#34;: &#34;http://ai/v1&#34;`, `&#34;model&#34;: &#34;aperture/gpt-4o&#34;`, `data-copy="code-opencode"`},
			[]string{"reached this gateway on localhost", "localhost:", "insist on an https://"}},
		{"through ts-unplug", "bob", []string{"X-Forwarded-Host", "localhost:9996"},
			[]string{"http://localhost:9996/v1", "export GOOGLE_GEMINI_BASE_URL=http://localhost:9996", "reached this gateway on localhost",
				"None of your models speaks the Anthropic Messages API", "A plain http:// address on localhost is fine",
				`&#34;baseURL&#34;: &#34;http://localhost:9996/v1&#34;`, "gemini-api-key"},
			[]string{"http://ai", "refuse a plain http://", "insist on an https://"}},
		{"https", "alice", []string{"X-Forwarded-Proto", "https"},
			[]string{"export GOOGLE_GEMINI_BASE_URL=https://ai\n", "gemini-api-key"},
			[]string{"refuse a plain http://", "A plain http:// address on localhost"}},
		{"no models", "carol", nil, []string{"No models are granted to you yet", "claude --model MODEL"}, nil},
		{"bad forwarded host ignored", "bob", []string{"X-Forwarded-Host", "evil.com/<script>"}, []string{"http://ai/v1"}, []string{"evil.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, "/ui/connect", tt.hdr...)
			if status != 200 {
				t.Errorf("status %d", status)
			}
			want(t, body, tt.in, tt.out)
		})
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		hdr  []string
		tls  bool
		want string
	}{
		{"ai", nil, false, "http://ai"},
		{"ai", nil, true, "https://ai"},
		{"ai.tail1234.ts.net", []string{"X-Forwarded-Proto", "https"}, false, "https://ai.tail1234.ts.net"},
		{"ai", []string{"X-Forwarded-Host", "localhost:9996"}, false, "http://localhost:9996"},
		{"ai", []string{"X-Forwarded-Host", "localhost:9996, proxy:80"}, false, "http://localhost:9996"},
		{"ai", []string{"X-Forwarded-Host", "a b"}, false, "http://ai"},
		{"100.64.0.7:80", []string{"X-Forwarded-Proto", "gopher"}, false, "http://100.64.0.7:80"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://"+tt.host+"/ui/connect", nil)
		for i := 0; i+1 < len(tt.hdr); i += 2 {
			r.Header.Set(tt.hdr[i], tt.hdr[i+1])
		}
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := baseURL(r); got != tt.want {
			t.Errorf("baseURL(%s %v) = %q, want %q", tt.host, tt.hdr, got, tt.want)
		}
	}
}
