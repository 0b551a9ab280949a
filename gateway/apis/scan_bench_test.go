package apis

import "testing"

// BenchmarkScanBody is what the request path calls on every body: model
// and stream in one pass, without decoding the body.
func BenchmarkScanBody(b *testing.B) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hello"}]}`)},
		{"agent-200KiB", agentBody(200 << 10)},
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
