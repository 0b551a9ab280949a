package answers

import (
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestReassembleGemini(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string // canonical JSON
	}{
		{"thoughts and text joined apart, calls kept, last usage",
			[]string{
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"Think","thought":true}]},"index":0}],"usageMetadata":{"promptTokenCount":3},"modelVersion":"g"}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"ing.","thought":true},{"text":"An"}]},"index":0}],"usageMetadata":{"promptTokenCount":3}}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"swer","thoughtSignature":"sig"},{"functionCall":{"name":"f","args":{}}},{"text":"after"}]},` +
					`"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,"totalTokenCount":7}}`,
			},
			`{"candidates":[{"content":{"parts":[{"text":"Thinking.","thought":true},{"text":"Answer","thoughtSignature":"sig"},{"functionCall":{"args":{},"name":"f"}},{"text":"after"}],"role":"model"},` +
				`"finishReason":"STOP","index":0}],"modelVersion":"g","usageMetadata":{"candidatesTokenCount":4,"promptTokenCount":3,"totalTokenCount":7}}`},
		{"candidates by index, without index by position",
			[]string{
				`{"candidates":[{"content":{"parts":[{"text":"a"}]}},{"content":{"parts":[{"text":"b"}]},"index":1}]}`,
				`{"candidates":[{"content":{"parts":[{"text":"c"}]},"index":1,"finishReason":"MAX_TOKENS"}]}`,
			},
			`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0},{"content":{"parts":[{"text":"bc"}]},"finishReason":"MAX_TOKENS","index":1}]}`},
		{"prompt blocked: no candidates",
			[]string{`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9}}`},
			`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(t, Reassemble(config.GeminiGenerateContent, sse(tt.chunks...))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
