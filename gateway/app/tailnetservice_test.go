package app

import (
	"strings"
	"testing"
)

func TestParseService(t *testing.T) {
	for _, tc := range []struct {
		name      string
		noTailnet bool
		want      string
		wantErr   string
	}{
		{name: "", want: ""},
		{name: "svc:ai", want: "svc:ai"},
		{name: "ai", wantErr: "a Service name looks like svc:ai"},
		{name: "svc:", wantErr: "a Service name looks like svc:ai"},
		{name: "svc:ai", noTailnet: true, wantErr: "cannot be used with --no-tailnet"},
	} {
		got, err := parseService(tc.name, tc.noTailnet)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseService(%q, %v) = %q, %v; want an error with %q", tc.name, tc.noTailnet, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseService(%q, %v) = %q, %v; want %q", tc.name, tc.noTailnet, got, err, tc.want)
		}
	}
}
