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

// referenceFilter is the filter as first written, one byte at a time: the
// specification the span-at-a-time Write is fuzzed against.
type referenceFilter struct {
	f UsageChunkFilter
}

func (r *referenceFilter) Write(p []byte) {
	f := &r.f
	f.out = f.out[:0]
	for _, c := range p {
		if f.pendingLF != 0 {
			keep := f.pendingLF > 0
			f.pendingLF = 0
			if c == '\n' {
				if keep {
					f.out = append(f.out, c)
				}
				continue
			}
		}
		if f.passing {
			f.out = append(f.out, c)
		} else {
			f.buf = append(f.buf, c)
			if len(f.buf) > maxFilteredEvent {
				f.out = append(f.out, f.buf...)
				f.buf = f.buf[:0]
				f.passing = true
			}
		}
		if c == '\n' && f.afterCR {
			f.afterCR = false
			continue
		}
		f.afterCR = c == '\r'
		if c != '\r' && c != '\n' {
			f.atLineStart = false
			continue
		}
		if !f.atLineStart {
			f.atLineStart = true
			continue
		}
		keep := f.passing || !f.isUsageEvent()
		if keep && !f.passing {
			f.out = append(f.out, f.buf...)
		}
		f.buf = f.buf[:0]
		f.passing = false
		if c == '\r' {
			f.afterCR = false
			f.pendingLF = -1
			if keep {
				f.pendingLF = 1
			}
		}
	}
	f.w.Write(f.out)
}

// FuzzUsageChunkFilter checks that the filter writes exactly what the
// byte-at-a-time reference writes, after every Write call, for any input
// split anywhere.
func FuzzUsageChunkFilter(f *testing.F) {
	content := `data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"hi"}}]}`
	f.Add([]byte(sse(content, usageChunk, "data: [DONE]")), uint16(7))
	f.Add([]byte(strings.ReplaceAll(sse(content, usageChunk), "\n", "\r\n")), uint16(3))
	f.Add([]byte(strings.ReplaceAll(sse(usageChunk, content), "\n", "\r")), uint16(1))
	f.Add([]byte(": ping\n\nevent: x\ndata: 1\r\n\n\n\ndata: 2"), uint16(5))
	f.Fuzz(func(t *testing.T, in []byte, step uint16) {
		var got, want bytes.Buffer
		fast := NewUsageChunkFilter(&got)
		ref := &referenceFilter{f: *NewUsageChunkFilter(&want)}
		ref.f.parser.OnEvent = func(ev *SSEEvent) { ref.f.usageEv = ref.f.rd.isUsageOnlyChunk(ev.Data) }
		n := int(step%64) + 1
		for i := 0; i < len(in); i += n {
			part := in[i:min(i+n, len(in))]
			fast.Write(part)
			ref.Write(part)
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("after %d bytes:\ngot  %q\nwant %q", i+len(part), got.Bytes(), want.Bytes())
			}
		}
		fast.Close()
		ref.f.Close()
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("after Close:\ngot  %q\nwant %q", got.Bytes(), want.Bytes())
		}
	})
}
