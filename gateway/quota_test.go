package gateway

import "testing"

func TestMaxOutputTokens(t *testing.T) {
	tests := []struct {
		body string
		want int64
	}{
		{`{"model":"m","max_tokens":128000}`, 128000},
		{`{"max_tokens" : 25, "messages":[]}`, 25},
		{`{"max_output_tokens":512}`, 512},
		{`{"max_completion_tokens":77}`, 77},
		{`{"generationConfig":{"maxOutputTokens":2048}}`, 2048},
		{`{"messages":[{"content":"say \"max\" please"}],"max_tokens":9}`, 9},
		{`{"max_tokens":null}`, 4096},
		{`{"model":"m"}`, 4096},
		{``, 4096},
	}
	for _, tt := range tests {
		if got := maxOutputTokens([]byte(tt.body), 4096); got != tt.want {
			t.Errorf("maxOutputTokens(%s) = %d, want %d", tt.body, got, tt.want)
		}
	}
}
