package fakellm

import (
	"encoding/json"
	"testing"
)

func TestUsageMapping(t *testing.T) {
	marshal := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"chat", richUsage.openAIChatUsage(),
			`{"prompt_tokens":480,"completion_tokens":70,"total_tokens":550,"prompt_tokens_details":{"cached_tokens":400,"audio_tokens":0,"cache_write_tokens":30},"completion_tokens_details":{"reasoning_tokens":25,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`},
		{"chat no cache write", Usage{InputTokens: 7, OutputTokens: 3}.openAIChatUsage(),
			`{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`},
		{"responses", richUsage.openAIResponsesUsage(),
			`{"input_tokens":480,"input_tokens_details":{"cached_tokens":400,"cache_write_tokens":30},"output_tokens":70,"output_tokens_details":{"reasoning_tokens":25},"total_tokens":550}`},
		{"anthropic final", richUsage.anthropicUsage(70),
			`{"input_tokens":50,"cache_creation_input_tokens":30,"cache_read_input_tokens":400,"cache_creation":{"ephemeral_5m_input_tokens":20,"ephemeral_1h_input_tokens":10},"output_tokens":70,"output_tokens_details":{"thinking_tokens":25},"service_tier":"standard"}`},
		{"anthropic message_start", richUsage.anthropicUsage(1),
			`{"input_tokens":50,"cache_creation_input_tokens":30,"cache_read_input_tokens":400,"cache_creation":{"ephemeral_5m_input_tokens":20,"ephemeral_1h_input_tokens":10},"output_tokens":1,"service_tier":"standard"}`},
		{"anthropic 1h beyond total", Usage{CacheCreationTokens: 5, CacheCreation1hTokens: 9}.anthropicUsage(0),
			`{"input_tokens":0,"cache_creation_input_tokens":5,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":9},"output_tokens":0,"service_tier":"standard"}`},
		{"anthropic message_delta", richUsage.anthropicDeltaUsage(),
			`{"input_tokens":50,"cache_creation_input_tokens":30,"cache_read_input_tokens":400,"output_tokens":70,"output_tokens_details":{"thinking_tokens":25}}`},
		{"gemini final", richUsage.geminiUsage(true),
			`{"promptTokenCount":480,"candidatesTokenCount":45,"totalTokenCount":550,"cachedContentTokenCount":400,"thoughtsTokenCount":25,"promptTokensDetails":[{"modality":"TEXT","tokenCount":480}]}`},
		{"gemini partial", richUsage.geminiUsage(false),
			`{"promptTokenCount":480,"totalTokenCount":480,"cachedContentTokenCount":400,"promptTokensDetails":[{"modality":"TEXT","tokenCount":480}]}`},
		{"gemini zeros omitted", Usage{InputTokens: 4, OutputTokens: 2}.geminiUsage(true),
			`{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6,"promptTokensDetails":[{"modality":"TEXT","tokenCount":4}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := marshal(tt.got); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
