package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/tsplug/ts-plug/internal/testbin"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// moduleRoot is the directory of the module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the module (run from the repository)")
	}
	return filepath.Dir(gomod), nil
}

// buildBinary builds ./cmd/<name> into dir, the way `make` and the
// release builds do (pure Go, CGO_ENABLED=0: a static binary, without
// libc's pages in its RSS; trimmed paths), with its symbols kept so that
// profiles stay readable.
func buildBinary(root, dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", name, err, stderr.Bytes())
	}
	return out, nil
}

// Proc is a child process whose output is kept (for readiness checks and
// for error reports).
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  *testbin.SyncBuffer
	done chan struct{}
	err  error
}

// StartProc starts bin with args on cpus (nil: wherever the harness may
// run); env nil means the harness's environment.
func StartProc(name string, cpus []int, env []string, bin string, args ...string) (*Proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	p := &Proc{Name: name, Cmd: cmd, out: &testbin.SyncBuffer{Max: 1 << 20}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := startOn(cmd, cpus); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process ID.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Output is what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop asks the process to end (SIGTERM) and kills it if it has not
// within a few seconds.
func (p *Proc) Stop() {
	if p.Exited() {
		return
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.Cmd.Process.Kill()
		<-p.done
	}
}

// WaitLine waits until the process prints a line containing substr and
// returns that line.
func (p *Proc) WaitLine(ctx context.Context, substr string) (string, error) {
	for {
		for _, line := range strings.Split(p.Output(), "\n") {
			if strings.Contains(line, substr) {
				return line, nil
			}
		}
		if p.Exited() {
			return "", fmt.Errorf("%s exited before printing %q:\n%s", p.Name, substr, p.Output())
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s never printed %q: %w\n%s", p.Name, substr, ctx.Err(), p.Output())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// freePort is testbin.FreePort: a loopback port free a moment ago.
var freePort = testbin.FreePort

// loopbackURL is http://127.0.0.1:port.
func loopbackURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }
