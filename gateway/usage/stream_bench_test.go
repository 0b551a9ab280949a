package usage

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkIncludeUsageRewrite is the body rewrite every streamed OpenAI
// chat request gets, on a small and on an agent-sized body.
func BenchmarkIncludeUsageRewrite(b *testing.B) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hello"}]}`)},
		{"100KiB", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"` +
			strings.Repeat("lorem ipsum ", 100<<10/12) + `"},{"role":"user","content":"hello"}]}`)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, injected := IncludeUsageRewrite(tc.body); !injected {
					b.Fatal("not injected")
				}
			}
		})
	}
}

// BenchmarkUsageChunkFilter passes a long chat stream through the filter
// that hides the usage chunk the gateway asked for; allocs/op divided by
// the 500 events shows what each event costs.
func BenchmarkUsageChunkFilter(b *testing.B) {
	mid := `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}` + "\n\n"
	stream := []byte(longStream("", mid, chatStream, 500))
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		f := NewUsageChunkFilter(io.Discard)
		for rest := stream; len(rest) > 0; {
			n := min(len(rest), 512)
			if _, err := f.Write(rest[:n]); err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
		f.Close()
	}
}
