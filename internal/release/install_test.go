package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installEnv is a `make install` world of its own: a build directory with
// fake binaries, a HOME, and a PATH the test controls.
type installEnv struct {
	t                 *testing.T
	build, home, path string
	gobin             string
}

func newInstallEnv(t *testing.T) *installEnv {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	e := &installEnv{t: t, build: filepath.Join(dir, "build"), home: filepath.Join(dir, "home"), gobin: filepath.Join(dir, "gobin")}
	for _, d := range []string{e.build, e.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// PATH keeps what make, sh, install and go need, and nothing of the
	// test's directories unless a case adds them.
	e.path = os.Getenv("PATH")
	return e
}

func (e *installEnv) built(names ...string) {
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(e.build, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			e.t.Fatal(err)
		}
	}
}

// make runs `make target args...` and returns its output and exit code.
func (e *installEnv) make(target string, args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.Command("make", append([]string{"-s", target, "BUILD=" + e.build}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "HOME="+e.home, "PATH="+e.path, "GOBIN="+e.gobin)
	out, err := cmd.CombinedOutput()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return string(out), code
}

// unwritable is a system prefix nobody can install into, root included:
// its parent is a regular file.
func (e *installEnv) unwritable() string {
	f := filepath.Join(e.t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return filepath.Join(f, "usr")
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	return err == nil
}

func TestInstallWithoutSudoUsesTheUsersBin(t *testing.T) {
	e := newInstallEnv(t)
	e.built("ts-unplug")
	out, code := e.make("install", "SYSTEM_PREFIX="+e.unwritable())
	if code != 0 {
		t.Fatalf("make install: exit %d\n%s", code, out)
	}
	local := filepath.Join(e.home, ".local", "bin")
	if !exists(t, filepath.Join(local, "ts-unplug")) {
		t.Fatalf("ts-unplug not in %s:\n%s", local, out)
	}
	for _, want := range []string{"installed " + local + "/ts-unplug", "is not writable", "sudo make install", local + " is not on your PATH"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, code := e.make("uninstall", "SYSTEM_PREFIX="+e.unwritable()); code != 0 || exists(t, filepath.Join(local, "ts-unplug")) {
		t.Fatalf("make uninstall: exit %d, still there:\n%s", code, out)
	}
}

func TestInstallPrefersGoBinOnPath(t *testing.T) {
	e := newInstallEnv(t)
	e.built("ts-unplug", "aperture")
	e.path = e.gobin + ":" + e.path
	out, code := e.make("install", "SYSTEM_PREFIX="+e.unwritable())
	if code != 0 {
		t.Fatalf("make install: exit %d\n%s", code, out)
	}
	for _, b := range []string{"ts-unplug", "aperture"} {
		if !exists(t, filepath.Join(e.gobin, b)) {
			t.Errorf("%s not in GOBIN %s:\n%s", b, e.gobin, out)
		}
	}
	if strings.Contains(out, "not on your PATH") {
		t.Errorf("says GOBIN is not on PATH, though it is:\n%s", out)
	}
	if exists(t, filepath.Join(e.home, ".local", "bin", "ts-unplug")) {
		t.Error("also installed into ~/.local/bin")
	}
}

func TestInstallIntoAWritablePrefix(t *testing.T) {
	e := newInstallEnv(t)
	e.built("ts-unplug")
	prefix := filepath.Join(t.TempDir(), "usr")
	// The system prefix when writable (root, or sudo).
	out, code := e.make("install", "SYSTEM_PREFIX="+prefix)
	if code != 0 || !exists(t, filepath.Join(prefix, "bin", "ts-unplug")) {
		t.Fatalf("make install: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "is not writable") {
		t.Errorf("fell back although %s is writable:\n%s", prefix, out)
	}
}

func TestInstallIntoAGivenPrefixNeverFallsBack(t *testing.T) {
	e := newInstallEnv(t)
	e.built("ts-unplug")
	out, code := e.make("install", "PREFIX="+e.unwritable())
	if code == 0 {
		t.Fatalf("make install PREFIX=<unwritable> succeeded:\n%s", out)
	}
	if !strings.Contains(out, "cannot write") || !strings.Contains(out, "sudo make install") {
		t.Errorf("error does not say what to do:\n%s", out)
	}
	if exists(t, filepath.Join(e.home, ".local", "bin", "ts-unplug")) {
		t.Error("installed into ~/.local/bin although PREFIX was given")
	}
}

func TestInstallRefusals(t *testing.T) {
	e := newInstallEnv(t)
	if out, code := e.make("install"); code != 2 || !strings.Contains(out, "nothing built yet") {
		t.Errorf("nothing built: exit %d\n%s", code, out)
	}
	e.built("ts-unplug")
	if out, code := e.make("install", "PREFIX="); code != 2 || !strings.Contains(out, "refusing PREFIX") {
		t.Errorf("PREFIX empty: exit %d\n%s", code, out)
	}
}
