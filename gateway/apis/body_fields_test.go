package apis

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestScanBodyFields covers the members the gateway meters and holds
// money by, as a client that is careless or hostile would send them.
func TestScanBodyFields(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		limit    int64
		choices  int64
		prev     string
		fallback string
		err      error
	}{
		{"anthropic", `{"model":"m","max_tokens":64000}`, 64000, 1, "", "", nil},
		{"escaped key", `{"model":"m","max_tok\u0065ns":64000}`, 64000, 1, "", "", nil},
		{"nested decoy", `{"model":"m","metadata":{"max_tokens":1},"messages":[{"max_tokens":2}],"max_tokens":50000}`, 50000, 1, "", "", nil},
		{"decoy only", `{"model":"m","metadata":{"max_tokens":1}}`, -1, 1, "", "", nil},
		{"decoy in string", `{"model":"m","prompt":"\"max_tokens\":1"}`, -1, 1, "", "", nil},
		{"both chat limits", `{"model":"m","max_tokens":100,"max_completion_tokens":9000}`, 9000, 1, "", "", nil},
		{"responses", `{"model":"m","max_output_tokens":300}`, 300, 1, "", "", nil},
		{"float notation", `{"model":"m","max_tokens":6.4e4}`, 64000, 1, "", "", nil},
		{"null limit", `{"model":"m","max_tokens":null}`, -1, 1, "", "", nil},
		{"choices", `{"model":"m","n":3,"max_tokens":10}`, 10, 3, "", "", nil},
		{"gemini", `{"contents":[],"generationConfig":{"maxOutputTokens":8192,"candidateCount":2}}`, 8192, 2, "", "", nil},
		{"gemini snake", `{"contents":[],"generation_config":{"max_output_tokens":77}}`, 77, 1, "", "", nil},
		{"previous", `{"model":"m","previous_response_id":"resp_\u0031"}`, -1, 1, "resp_1", "", nil},
		{"fallbacks", `{"model":"m","models":["a","b"]}`, -1, 1, "", "models", nil},
		{"empty fallbacks", `{"model":"m","models":[ ]}`, -1, 1, "", "", nil},

		{"duplicate limit", `{"model":"m","max_tokens":10,"max_tokens":64000}`, 0, 0, "", "", ErrAmbiguousBody},
		{"escaped duplicate", `{"model":"m","max_tokens":10,"max_tok\u0065ns":64000}`, 0, 0, "", "", ErrAmbiguousBody},
		{"duplicate stream", `{"model":"m","stream":false,"stream":true}`, 0, 0, "", "", ErrAmbiguousBody},
		{"duplicate stream_options", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"stream_options":null}`, 0, 0, "", "", ErrAmbiguousBody},
		{"case variant limit", `{"model":"m","Max_Tokens":64000}`, 0, 0, "", "", ErrAmbiguousBody},
		{"both gemini spellings", `{"generationConfig":{},"generation_config":{}}`, 0, 0, "", "", ErrAmbiguousBody},
		{"both limit spellings", `{"generationConfig":{"maxOutputTokens":1,"max_output_tokens":2}}`, 0, 0, "", "", ErrAmbiguousBody},
		{"string limit", `{"model":"m","max_tokens":"64000"}`, 0, 0, "", "", ErrBadField},
		{"fractional limit", `{"model":"m","max_tokens":1.5}`, 0, 0, "", "", ErrBadField},
		{"negative limit", `{"model":"m","max_tokens":-1}`, 0, 0, "", "", ErrBadField},
		{"huge limit", `{"model":"m","max_tokens":1e300}`, 0, 0, "", "", ErrBadField},
		{"generationConfig not object", `{"generationConfig":[1]}`, 0, 0, "", "", ErrBadField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ScanBody([]byte(tt.body))
			checkAgainstStdlib(t, []byte(tt.body))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ScanBody(%s) = %+v, %v; want %v", tt.body, info, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.OutputLimit != tt.limit || info.Choices != tt.choices || info.PreviousResponseID != tt.prev || info.Fallbacks != tt.fallback {
				t.Errorf("ScanBody(%s) = limit %d choices %d prev %q fallback %q; want %d %d %q %q", tt.body,
					info.OutputLimit, info.Choices, info.PreviousResponseID, info.Fallbacks, tt.limit, tt.choices, tt.prev, tt.fallback)
			}
		})
	}
}

func TestWithOutputLimit(t *testing.T) {
	tests := []struct{ body, key, want string }{
		{`{"model":"m","max_tokens":64000}`, "max_tokens", `{"model":"m","max_tokens":1000}`},
		{`{"model":"m","max_tokens":100,"max_completion_tokens":9000}`, "max_completion_tokens", `{"model":"m","max_tokens":1000,"max_completion_tokens":1000}`},
		{`{"model":"m"}`, "max_completion_tokens", `{"max_completion_tokens":1000,"model":"m"}`},
		{`{"model":"m","max_output_tokens":null}`, "max_output_tokens", `{"model":"m","max_output_tokens":1000}`},
		{`{"contents":[]}`, "maxOutputTokens", `{"generationConfig":{"maxOutputTokens":1000},"contents":[]}`},
		{`{"contents":[],"generationConfig":{ }}`, "maxOutputTokens", `{"contents":[],"generationConfig":{"maxOutputTokens":1000 }}`},
		{`{"contents":[],"generationConfig":{"temperature":1}}`, "maxOutputTokens", `{"contents":[],"generationConfig":{"maxOutputTokens":1000,"temperature":1}}`},
		{`{"contents":[],"generation_config":{"max_output_tokens":5000}}`, "maxOutputTokens", `{"contents":[],"generation_config":{"max_output_tokens":1000}}`},
		{`{"contents":[],"generationConfig":null}`, "maxOutputTokens", `{"contents":[],"generationConfig":{"maxOutputTokens":1000}}`},
	}
	for _, tt := range tests {
		info, err := ScanBody([]byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		got := WithOutputLimit([]byte(tt.body), info, tt.key, 1000)
		if string(got) != tt.want {
			t.Errorf("WithOutputLimit(%s) = %s, want %s", tt.body, got, tt.want)
			continue
		}
		if !json.Valid(got) {
			t.Errorf("WithOutputLimit(%s) = %s: invalid JSON", tt.body, got)
		}
		if again, err := ScanBody(got); err != nil || again.OutputLimit != 1000 {
			t.Errorf("WithOutputLimit(%s): reads back as %d", tt.body, again.OutputLimit)
		}
	}
}
