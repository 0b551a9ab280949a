package config

import "testing"

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in          string
		name, value string
		ok          bool
	}{
		{"X-Project: foo", "X-Project", "foo", true},
		{"X-Empty:", "X-Empty", "", true},
		{"  X-Trim  :   a b  ", "X-Trim", "a b", true},
		{"X-Url: https://a:b", "X-Url", "https://a:b", true},
		{"no colon", "", "", false},
		{": value", "", "", false},
		{"Bad Name: v", "", "", false},
		{"X-Inject: a\r\nEvil: b", "", "", false},
	}
	for _, tt := range tests {
		h, err := ParseHeader(tt.in)
		if (err == nil) != tt.ok || h.Name != tt.name || h.Value != tt.value {
			t.Errorf("ParseHeader(%q) = %+v, %v; want %q %q ok=%v", tt.in, h, err, tt.name, tt.value, tt.ok)
		}
	}
	got := ParseHeaders([]string{"A: 1", "broken", "B: 2"})
	if len(got) != 2 || got[0].Name != "A" || got[1].Value != "2" {
		t.Errorf("ParseHeaders = %+v", got)
	}
}
