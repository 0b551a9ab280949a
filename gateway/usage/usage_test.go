package usage

import "testing"

func TestSetCacheCreation(t *testing.T) {
	tests := []struct {
		name              string
		total, m5, h1     int64
		split             bool
		wantT, want5, w1h int64
	}{
		{"no split: all 5m", 300, 0, 0, false, 300, 300, 0},
		{"split", 300, 100, 200, true, 300, 100, 200},
		{"split short of total: rest is 5m", 300, 0, 200, true, 300, 100, 200},
		{"split above total: split wins", 100, 100, 200, true, 300, 100, 200},
		{"negative", -5, 0, 0, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u Usage
			u.setCacheCreation(tt.total, tt.m5, tt.h1, tt.split)
			if u.CacheCreationTokens != tt.wantT || u.CacheCreation5mTokens != tt.want5 || u.CacheCreation1hTokens != tt.w1h {
				t.Errorf("got %d/%d/%d, want %d/%d/%d", u.CacheCreationTokens, u.CacheCreation5mTokens, u.CacheCreation1hTokens, tt.wantT, tt.want5, tt.w1h)
			}
		})
	}
}

func TestTotalInput(t *testing.T) {
	u := Usage{InputTokens: 1, CachedTokens: 20, CacheCreationTokens: 300, OutputTokens: 4000}
	if got := u.TotalInput(); got != 321 {
		t.Errorf("TotalInput = %d, want 321", got)
	}
}
