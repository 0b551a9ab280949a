package config

import "testing"

func TestCallerLimits(t *testing.T) {
	tests := []struct {
		src     string
		want    CallerLimits
		wantErr bool
	}{
		{`{}`, CallerLimits{DefaultMaxConcurrentPerCaller, DefaultMaxBufferedBytesPerCaller}, false},
		{`{"caller_limits": {"max_concurrent_requests": 8}}`, CallerLimits{8, DefaultMaxBufferedBytesPerCaller}, false},
		{`{"caller_limits": {"max_buffered_bytes": 2097152}}`, CallerLimits{DefaultMaxConcurrentPerCaller, 2 << 20}, false},
		{`{"caller_limits": {"max_concurrent_requests": 0}}`, CallerLimits{}, true},
		{`{"caller_limits": {"max_buffered_bytes": 10}}`, CallerLimits{}, true},
	}
	for _, tt := range tests {
		cfg, diags, err := Parse([]byte(tt.src))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v %v", tt.src, err, diags)
			continue
		}
		if err == nil && cfg.CallerLimits != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.src, cfg.CallerLimits, tt.want)
		}
	}
	// An unknown key is named, not ignored.
	_, diags, _ := Parse([]byte(`{"caller_limits": {"max_concurent_requests": 8}}`))
	if len(diags) == 0 {
		t.Error("misspelled caller_limits key accepted silently")
	}
}
