package tunnel

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveAuthKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte("tskey-from-file\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	t.Setenv("TS_AUTHKEY", " tskey-from-env ")

	tests := []struct {
		flag, want string
		wantErr    bool
	}{
		{"", "tskey-from-env", false},
		{"tskey-literal", "tskey-literal", false},
		{"file:" + keyFile, "tskey-from-file", false},
		{"file:" + empty, "", true},
		{"file:" + filepath.Join(dir, "missing"), "", true},
	}
	for _, tt := range tests {
		got, err := ResolveAuthKey(tt.flag)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ResolveAuthKey(%q) = %q, %v; want %q, err %v", tt.flag, got, err, tt.want, tt.wantErr)
		}
	}
}
