package tunnel

import "testing"

func TestTailnetHostKind(t *testing.T) {
	tests := []struct {
		host, suffix string
		want         hostKind
	}{
		{"api.openai.com", "example.ts.net", hostOS},
		{"127.0.0.1", "", hostOS},
		{"8.8.8.8", "", hostOS},
		{"localhost", "", hostOS},
		{"app.localhost", "", hostOS},
		{"100.64.0.7", "", hostTailnet},
		{"100.127.255.1", "", hostTailnet},
		{"100.128.0.1", "", hostOS}, // outside 100.64.0.0/10
		{"fd7a:115c:a1e0::5", "", hostTailnet},
		{"[fd7a:115c:a1e0::5]", "", hostTailnet},
		{"llm.example.ts.net", "", hostTailnet},
		{"LLM.Example.TS.NET.", "", hostTailnet},
		{"llm.corp.internal", "corp.internal", hostTailnet}, // Headscale's own suffix
		{"llm.corp.internal", "", hostOS},
		{"llm", "example.ts.net", hostShort},
		{"llm.", "", hostShort},
	}
	for _, tt := range tests {
		if got := tailnetHostKind(tt.host, tt.suffix); got != tt.want {
			t.Errorf("tailnetHostKind(%q, %q) = %v, want %v", tt.host, tt.suffix, got, tt.want)
		}
	}
}
