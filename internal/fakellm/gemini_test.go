package fakellm

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGeminiSSEUsesCRLF(t *testing.T) {
	_, url := startServer(t, WithChunks(2))
	resp := post(t, url+"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"respond with: hello"}]}]}`)
	body := textOrFail(t, resp)
	parts := strings.Split(body, "\r\n\r\n")
	if len(parts) != 3 || parts[2] != "" || !strings.HasPrefix(parts[0], "data: {") || !strings.HasPrefix(parts[1], "data: {") {
		t.Fatalf("body = %q, want two CRLF-separated data events", body)
	}
	first := decode(t, strings.TrimPrefix(parts[0], "data: "))
	last := decode(t, strings.TrimPrefix(parts[1], "data: "))
	if at(first, "candidates", 0, "finishReason") != nil || at(first, "usageMetadata", "candidatesTokenCount") != nil {
		t.Errorf("first chunk = %s", parts[0])
	}
	if at(last, "candidates", 0, "finishReason") != "STOP" || at(last, "modelVersion") != "gemini-2.5-pro" ||
		at(last, "usageMetadata", "totalTokenCount") != DefaultUsage.InputTokens+DefaultUsage.OutputTokens {
		t.Errorf("last chunk = %s", parts[1])
	}
}

func TestGeminiStreamJSONArray(t *testing.T) {
	_, url := startServer(t, WithChunks(3))
	resp := post(t, url+"/v1/models/gemini-2.5-flash:streamGenerateContent", `{"contents":[{"parts":[{"text":"respond with: abc"}]}]}`)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var chunks []map[string]any
	if err := json.Unmarshal([]byte(textOrFail(t, resp)), &chunks); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	var text string
	for _, c := range chunks {
		text += at(c, "candidates", 0, "content", "parts", 0, "text").(string)
	}
	if len(chunks) != 3 || text != "abc" {
		t.Errorf("%d chunks with text %q, want 3 with abc", len(chunks), text)
	}
}
