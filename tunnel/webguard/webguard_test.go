package webguard

import "testing"

func TestHostAllowed(t *testing.T) {
	names := []string{"ai", "ai.example.ts.net."}
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"", true},
		{"localhost:9996", true},
		{"LOCALHOST.", true},
		{"app.localhost:3000", true},
		{"127.0.0.1:9996", true},
		{"[::1]:9996", true},
		{"::1", true},
		{"100.64.0.1", true},
		{"ai", true},
		{"AI:80", true},
		{"ai.example.ts.net", true},
		{"ai.example.ts.net.:443", true},
		{"evil.example.com", false},
		{"localhost.evil.example.com", false},
		{"ai.evil.example.com", false},
	} {
		if got := HostAllowed(tt.host, names); got != tt.want {
			t.Errorf("HostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	if HostAllowed("ai", nil) {
		t.Errorf("HostAllowed(ai) without names = true")
	}
}

func TestOriginListed(t *testing.T) {
	for _, tt := range []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{nil, "http://localhost:3000", false},
		{[]string{"http://localhost:3000"}, "http://localhost:3000", true},
		{[]string{" HTTP://LOCALHOST:3000/ "}, "http://localhost:3000", true},
		{[]string{"http://localhost:3000"}, "http://localhost:3001", false},
		{[]string{"https://a.example", "https://b.example"}, "https://b.example", true},
		{[]string{"*"}, "https://evil.example", true},
		// "*" is any site, and an opaque origin is none: only a list
		// naming "null" admits it.
		{[]string{"*"}, "null", false},
		{[]string{"null"}, "null", true},
		{[]string{"*", "null"}, "null", true},
	} {
		if got := OriginListed(tt.allowed, tt.origin); got != tt.want {
			t.Errorf("OriginListed(%q, %q) = %v, want %v", tt.allowed, tt.origin, got, tt.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tt := range []struct {
		origin, host string
		want         bool
	}{
		{"http://localhost:9996", "localhost:9996", true},
		{"http://LocalHost:9996", "localhost:9996", true},
		{"http://ai", "ai", true},
		{"http://localhost:8080", "localhost:9996", false},
		{"https://evil.example", "ai", false},
		{"null", "null", false},
		{"null", "", false},
		{"http://", "", false},
	} {
		if got := SameOrigin(tt.origin, tt.host); got != tt.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", tt.origin, tt.host, got, tt.want)
		}
	}
}
