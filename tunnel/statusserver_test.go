package tunnel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatusSocket(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), StatusSocketName)
	if _, err := FetchStatus(ctx, path); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("FetchStatus before serving: %v, want ErrNotRunning", err)
	}
	if err := ServeStatus(ctx, path, func() any { return map[string]int{"requests": 7} }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("status socket = %v, %v; want an owner-only (0600) socket: it holds the login URL", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".status-*")); len(left) > 0 {
		t.Errorf("temporary socket directories left behind: %q", left)
	}
	b, err := FetchStatus(ctx, path)
	if err != nil || !strings.Contains(string(b), `"requests": 7`) {
		t.Fatalf("FetchStatus = %s, %v", b, err)
	}
	if err := ServeStatus(ctx, path, func() any { return nil }); err == nil {
		t.Fatal("a second instance on the same state directory was allowed")
	}
	cancel()
}
