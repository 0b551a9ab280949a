package usage

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const usageChunk = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":50,"total_tokens":1250}}`

func filterAll(chunks ...string) string {
	var out bytes.Buffer
	f := NewUsageChunkFilter(&out)
	for _, c := range chunks {
		if n, err := f.Write([]byte(c)); n != len(c) || err != nil {
			panic("short write")
		}
	}
	f.Close()
	return out.String()
}

func TestUsageChunkFilter(t *testing.T) {
	content := `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}`
	tests := []struct {
		name, in, want string
	}{
		{"usage chunk dropped", sse(content, usageChunk, "data: [DONE]"), sse(content, "data: [DONE]")},
		{"CRLF", strings.ReplaceAll(sse(content, usageChunk, "data: [DONE]"), "\n", "\r\n"),
			strings.ReplaceAll(sse(content, "data: [DONE]"), "\n", "\r\n")},
		{"CR only", strings.ReplaceAll(sse(content, usageChunk, "data: [DONE]"), "\n", "\r"),
			strings.ReplaceAll(sse(content, "data: [DONE]"), "\n", "\r")},
		{"usage in a content chunk kept", sse(`data: {"object":"chat.completion.chunk","choices":[{"delta":{}}],"usage":{"prompt_tokens":1}}`),
			sse(`data: {"object":"chat.completion.chunk","choices":[{"delta":{}}],"usage":{"prompt_tokens":1}}`)},
		{"other object kept", sse(`data: {"object":"other","choices":[],"usage":{}}`), sse(`data: {"object":"other","choices":[],"usage":{}}`)},
		{"comments and odd bytes kept", ": ping\n\nevent: x\ndata: 1\r\n\n\n\ndata: 2", ": ping\n\nevent: x\ndata: 1\r\n\n\n\ndata: 2"},
		{"unterminated usage chunk passed at Close", usageChunk, usageChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				if got := filterAll(tt.in[:i], tt.in[i:]); got != tt.want {
					t.Fatalf("split at %d:\ngot  %q\nwant %q", i, got, tt.want)
				}
			}
		})
	}
}

// TestUsageChunkFilterFlushes: a complete event is written in the Write
// call that completes it, so a flushing writer delivers it at once.
func TestUsageChunkFilterFlushes(t *testing.T) {
	var out bytes.Buffer
	f := NewUsageChunkFilter(&out)
	f.Write([]byte("data: 1\n"))
	if out.Len() != 0 {
		t.Fatalf("incomplete event written: %q", out.String())
	}
	f.Write([]byte("\nda"))
	if out.String() != "data: 1\n\n" {
		t.Fatalf("complete event not written: %q", out.String())
	}
}

func TestUsageChunkFilterLongEvent(t *testing.T) {
	long := "data: " + strings.Repeat("x", maxFilteredEvent+10) + "\n\n"
	if got := filterAll(long[:100], long[100:]); got != long {
		t.Errorf("long event altered (len %d vs %d)", len(got), len(long))
	}
	var out bytes.Buffer
	f := NewUsageChunkFilter(&out)
	f.Write([]byte(long[:maxFilteredEvent+8]))
	if out.Len() == 0 {
		t.Error("an event over the hold-back limit must stream through")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestUsageChunkFilterError(t *testing.T) {
	f := NewUsageChunkFilter(failWriter{})
	if _, err := f.Write([]byte("data: 1\n\n")); err == nil {
		t.Fatal("want error")
	}
	if _, err := f.Write([]byte("data: 2\n\n")); err == nil {
		t.Fatal("error must be sticky")
	}
}
