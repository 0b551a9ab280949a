package apis

import (
	"strings"
	"testing"
)

// BenchmarkScanBody is what the request path calls on every body: model
// and stream in one pass, without decoding the body.
func BenchmarkScanBody(b *testing.B) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hello"}]}`)},
		{"agent-200KiB", agentBody(200 << 10)},
		// A long prompt: a system text of source-code-like lines, each
		// ending in an escaped newline, as coding agents send.
		{"prompt-200KiB", promptBody(200 << 10)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				info, err := ScanBody(tc.body)
				if err != nil || !info.HasModel {
					b.Fatalf("ScanBody = %+v, %v", info, err)
				}
			}
		})
	}
}

// promptBody is a request whose bulk is one long string of 60-byte lines
// joined by \n escapes.
func promptBody(size int) []byte {
	line := strings.Repeat("x := compute(alpha, beta) // a line of code, quite long ", 2)[:60]
	var b strings.Builder
	b.WriteString(`{"system":"`)
	for b.Len() < size {
		b.WriteString(line)
		b.WriteString(`\n`)
	}
	b.WriteString(`","messages":[{"role":"user","content":"hi"}],"model":"claude-sonnet-4-5"}`)
	return []byte(b.String())
}

// BenchmarkSessionHints is the session ID's reading of a scanned body:
// what comes before the first user message (a coding agent's long system
// prompt) and that message's parts are read once each.
func BenchmarkSessionHints(b *testing.B) {
	prompt := strings.Repeat(strings.Repeat("x := compute(alpha, beta) // a line of code", 1)+`\n`, (100<<10)/45)
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"system-prompt-100KiB", []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"` + prompt + `"},{"role":"user","content":"hi"}]}`)},
		{"user-parts-100KiB", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"` + prompt + `"},{"type":"text","text":"hi"}]}]}`)},
	} {
		info, err := ScanBody(tc.body)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if h := info.SessionHints(tc.body); !h.HasFirstUser {
					b.Fatalf("SessionHints = %+v", h)
				}
			}
		})
	}
}
