//go:build unix

package unplug

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A FIFO in place of the name file is neither read nor waited on.
func TestReadHTTPSNameSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, httpsNameFile), 0o644); err != nil {
		t.Skip(err)
	}
	if name, ok := readHTTPSName(dir); ok {
		t.Errorf("read a FIFO: %q", name)
	}
}
