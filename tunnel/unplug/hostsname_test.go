package unplug

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The name file is written by the service's own (unprivileged) account
// and read by `sudo ts-unplug hosts`: only a tailnet name in a regular
// file is taken.
func TestReadHTTPSNameTrustsNothing(t *testing.T) {
	write := func(t *testing.T, content string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, httpsNameFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tt := range []struct {
		content string
		want    string // "" for refused
	}{
		{"laptop.tail1234.ts.net\n", "laptop.tail1234.ts.net"},
		{"Laptop.Tail1234.TS.NET", "Laptop.Tail1234.TS.NET"},
		{"archive.ubuntu.com\n", ""},
		{"login.microsoftonline.com", ""},
		{"ts.net", ""},
		{"tail1234.ts.net", ""},
		{"evil.ts.net.example.com", ""},
		{"a b.tail.ts.net", ""},
		{"x.tail.ts.net\n10.6.6.6 evil.com", ""},
		{"-x.tail.ts.net", ""},
		{strings.Repeat("a", 300) + ".tail.ts.net", ""},
		{"", ""},
	} {
		name, ok := readHTTPSName(write(t, tt.content))
		if got := map[bool]string{true: name}[ok]; got != tt.want {
			t.Errorf("name file %q: read %q (%v), want %q", tt.content, name, ok, tt.want)
		}
	}

	t.Run("symlink", func(t *testing.T) {
		target := write(t, "laptop.tail1234.ts.net")
		dir := t.TempDir()
		if err := os.Symlink(filepath.Join(target, httpsNameFile), filepath.Join(dir, httpsNameFile)); err != nil {
			t.Skip(err)
		}
		if name, ok := readHTTPSName(dir); ok {
			t.Errorf("followed a symlink: %q", name)
		}
	})
}
