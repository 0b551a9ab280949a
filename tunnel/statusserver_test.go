package tunnel

import (
	"context"
	"errors"
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
	b, err := FetchStatus(ctx, path)
	if err != nil || !strings.Contains(string(b), `"requests": 7`) {
		t.Fatalf("FetchStatus = %s, %v", b, err)
	}
	if err := ServeStatus(ctx, path, func() any { return nil }); err == nil {
		t.Fatal("a second instance on the same state directory was allowed")
	}
	cancel()
}
