package fakellm

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name string
		api  config.API
		e    apiError
		want string
	}{
		{"openai 429", config.OpenAIChat, apiError{status: 429, message: "m"},
			`{"error":{"message":"m","type":"requests","param":null,"code":"rate_limit_exceeded"}}`},
		{"openai 500", config.OpenAIResponses, apiError{status: 500, message: "m"},
			`{"error":{"message":"m","type":"server_error","param":null,"code":null}}`},
		{"openai type override", config.OpenAIChat, apiError{status: 400, message: "m", kind: "custom"},
			`{"error":{"message":"m","type":"custom","param":null,"code":null}}`},
		{"anthropic 529", config.AnthropicMessages, apiError{status: 529, message: "Overloaded"},
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}`},
		{"anthropic 401", config.AnthropicMessages, apiError{status: 401, message: "m"},
			`{"type":"error","error":{"type":"authentication_error","message":"m"},"request_id":"req_1"}`},
		{"gemini 503", config.GeminiGenerateContent, apiError{status: 503, message: "m"},
			`{"error":{"code":503,"message":"m","status":"UNAVAILABLE"}}`},
		{"gemini 400", config.GeminiGenerateContent, apiError{status: 400, message: "m"},
			`{"error":{"code":400,"message":"m","status":"INVALID_ARGUMENT"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(envelope(tt.api, tt.e, "req_1"))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestSetRetryAfter(t *testing.T) {
	tests := []struct {
		d       time.Duration
		sec, ms string
	}{
		{0, "", ""},
		{time.Millisecond, "1", "1"},
		{1500 * time.Millisecond, "2", "1500"},
		{3 * time.Second, "3", "3000"},
	}
	for _, tt := range tests {
		h := http.Header{}
		setRetryAfter(h, tt.d)
		if h.Get("Retry-After") != tt.sec || h.Get("retry-after-ms") != tt.ms {
			t.Errorf("%v: Retry-After %q retry-after-ms %q, want %q %q", tt.d, h.Get("Retry-After"), h.Get("retry-after-ms"), tt.sec, tt.ms)
		}
	}
}
