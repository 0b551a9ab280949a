package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSharedDeviceTags(t *testing.T) {
	tests := []struct {
		src     string
		want    []string
		wantErr string // part of the error; "" for none
	}{
		{`{}`, nil, ""},
		{`{"shared_device_tags": ["tag:lab-unplug", "tag:kiosk2"]}`, []string{"tag:lab-unplug", "tag:kiosk2"}, ""},
		{`{"shared_device_tags": []}`, nil, ""},
		{`{"shared_device_tags": "tag:lab"}`, nil, "must be an array"},
		{`{"shared_device_tags": ["lab"]}`, nil, `"lab" is not a tag`},
		{`{"shared_device_tags": ["tag:"]}`, nil, "is not a tag"},
		{`{"shared_device_tags": ["tag:1lab"]}`, nil, "is not a tag"},
		{`{"shared_device_tags": ["tag:lab unplug"]}`, nil, "is not a tag"},
		{`{"shared_device_tags": ["alice@example.com"]}`, nil, "is not a tag"},
		{`{"shared_device_tags": ["*"]}`, nil, "is not a tag"},
	}
	for _, tt := range tests {
		cfg, diags, err := Parse([]byte(tt.src))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "shared_device_tags") {
				t.Errorf("%s: err %v, want one naming shared_device_tags and saying %q", tt.src, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v %v", tt.src, err, diags)
			continue
		}
		if !slices.Equal(cfg.SharedDeviceTags, tt.want) {
			t.Errorf("%s: %q, want %q", tt.src, cfg.SharedDeviceTags, tt.want)
		}
	}
}
