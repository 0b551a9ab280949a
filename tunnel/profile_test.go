package tunnel

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strings"
	"testing"
)

func TestStartCPUProfile(t *testing.T) {
	stop, err := StartCPUProfile("")
	if err != nil {
		t.Fatal(err)
	}
	stop()

	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err = StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e6; i++ {
		_ = filepath.Base(path)
	}
	stop()
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("profile not written: %v %v", fi, err)
	}
	if _, err := StartCPUProfile(filepath.Join(t.TempDir(), "missing", "cpu.pprof")); err == nil {
		t.Error("an unwritable path was accepted")
	}
}

func TestStartAllocProfile(t *testing.T) {
	stop, err := StartAllocProfile("")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	path := filepath.Join(t.TempDir(), "allocs.pprof")
	if stop, err = StartAllocProfile(path); err != nil {
		t.Fatal(err)
	}
	var keep [][]byte
	for i := 0; i < 100; i++ {
		keep = append(keep, make([]byte, 64+i))
	}
	_ = keep
	stop()
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("profile not written: %v %v", fi, err)
	}
	if _, err := StartAllocProfile(filepath.Join(t.TempDir(), "missing", "allocs.pprof")); err == nil {
		t.Error("an unwritable path was accepted")
	}
}

// TestProfilesSayWhenNotWritten: a profile whose file cannot be written
// (a full disk: /dev/full) is reported, not left empty without a word.
func TestProfilesSayWhenNotWritten(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	var said []string
	defer func(f func(string, ...any)) { profileError = f }(profileError)
	profileError = func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	starts := []func(string) (func(), error){StartCPUProfile, StartAllocProfile}
	if !trace.IsEnabled() { // under go test -trace, a second cannot start
		starts = append(starts, StartTrace)
	}
	for _, start := range starts {
		said = nil
		stop, err := start("/dev/full")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1e5; i++ {
			_ = filepath.Base("/a/b")
		}
		stop()
		if len(said) != 1 || !strings.Contains(said[0], "/dev/full") {
			t.Errorf("reported %q, want one line naming /dev/full", said)
		}
	}
}

func TestStartTrace(t *testing.T) {
	stop, err := StartTrace("")
	if err != nil {
		t.Fatal(err)
	}
	stop()

	path := filepath.Join(t.TempDir(), "run.trace")
	if stop, err = StartTrace(path); err != nil {
		if trace.IsEnabled() {
			t.Skip("already traced (go test -trace)")
		}
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	stop()
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "go 1.") {
		t.Errorf("trace not written (%d bytes, %v), want one starting with its header", len(b), err)
	}
	if _, err := StartTrace(filepath.Join(t.TempDir(), "missing", "run.trace")); err == nil {
		t.Error("an unwritable path was accepted")
	}
	// A trace that cannot start (one runs already) leaves no empty file.
	stop, err = StartTrace(filepath.Join(t.TempDir(), "first.trace"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	second := filepath.Join(t.TempDir(), "second.trace")
	if _, err := StartTrace(second); err == nil {
		t.Error("a second trace started")
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("the second trace's file is left: %v", err)
	}
}
