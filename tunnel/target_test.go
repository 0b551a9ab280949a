package tunnel

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantURL string
		wantErr bool
	}{
		{in: "ai", want: Target{"http", "ai", 80}, wantURL: "http://ai"},
		{in: "ai:8080", want: Target{"http", "ai", 8080}, wantURL: "http://ai:8080"},
		{in: "ai.example.ts.net", want: Target{"http", "ai.example.ts.net", 80}, wantURL: "http://ai.example.ts.net"},
		{in: "http://ai:8080", want: Target{"http", "ai", 8080}, wantURL: "http://ai:8080"},
		{in: "https://ai.example.ts.net", want: Target{"https", "ai.example.ts.net", 443}, wantURL: "https://ai.example.ts.net"},
		{in: "HTTPS://ai.example.ts.net/", want: Target{"https", "ai.example.ts.net", 443}, wantURL: "https://ai.example.ts.net"},
		{in: "100.64.0.1", want: Target{"http", "100.64.0.1", 80}, wantURL: "http://100.64.0.1"},
		{in: "[fd7a:115c:a1e0::1]:81", want: Target{"http", "fd7a:115c:a1e0::1", 81}, wantURL: "http://[fd7a:115c:a1e0::1]:81"},
		{in: "", wantErr: true},
		{in: "ftp://ai", wantErr: true},
		{in: "http://ai/v1", wantErr: true},
		{in: "ai:0", wantErr: true},
		{in: "ai:99999", wantErr: true},
		{in: "http://user:pw@ai", wantErr: true},
		{in: "http://", wantErr: true},
		{in: "ai.example.ts.net.", want: Target{"http", "ai.example.ts.net.", 80}, wantURL: "http://ai.example.ts.net."},
		{in: "my_box", want: Target{"http", "my_box", 80}, wantURL: "http://my_box"},
		{in: "localhost:8080", want: Target{"http", "localhost", 8080}, wantURL: "http://localhost:8080"},
		// Not plausible hosts: refused before anything dials them.
		{in: "-port", wantErr: true},
		{in: "--", wantErr: true},
		{in: "ai host", wantErr: true},
		{in: "  ", wantErr: true},
		{in: "ai..example", wantErr: true},
		{in: "ai-.example", wantErr: true},
		{in: "*.example.ts.net", wantErr: true},
		{in: "ai!", wantErr: true},
		{in: "ai/v1", wantErr: true},
		{in: "http://ai.example.ts.net/v1/messages", wantErr: true},
		{in: strings.Repeat("a", 64), wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseTarget(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.wantURL {
			t.Errorf("ParseTarget(%q).String() = %q, want %q", tt.in, got.String(), tt.wantURL)
		}
	}
}
