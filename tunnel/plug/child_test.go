//go:build !windows

package plug

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

// startShell runs script under sh and waits until it printed "ready".
func startShell(t *testing.T, script string, env ...string) (*child, *testbin.SyncBuffer) {
	t.Helper()
	out := new(testbin.SyncBuffer)
	c, err := startChild([]string{"sh", "-c", script}, env, out, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !c.exited() {
			killGroup(c.cmd.Process)
			<-c.done
		}
	})
	testbin.WaitUntil(t, 10*time.Second, func() error {
		if strings.Contains(out.String(), "ready") {
			return nil
		}
		if c.exited() {
			t.Fatalf("child exited before it was ready; output %q", out.String())
		}
		return fmt.Errorf("child never got ready; output %q", out.String())
	})
	return c, out
}

func TestChildExitStatus(t *testing.T) {
	logf := func(string, ...any) {}
	tests := []struct {
		name     string
		script   string
		stop     bool          // ts-plug stops it (SIGTERM)
		grace    time.Duration // for stop
		wantCode int
		wantWhy  string
	}{
		{"exits on its own", "echo ready; exit 3", false, 0, 3, "exited with status 3"},
		{"clean exit on its own", "echo ready; exit 0", false, 0, 0, "status 0"},
		{"crash", "echo ready; kill -SEGV $$", false, 0, 128 + int(syscall.SIGSEGV), "killed by signal"},
		{"handles SIGTERM with its own status", "trap 'exit 5' TERM; echo ready; while :; do sleep 0.05; done", true, 10 * time.Second, 5, "status 5"},
		{"dies of the forwarded SIGTERM", "echo ready; exec sleep 30", true, 10 * time.Second, 0, "stopped on terminated"},
		{"ignores SIGTERM: killed after grace", "trap '' TERM; echo ready; while :; do sleep 0.05; done", true, 300 * time.Millisecond, 137, "killed after the stop grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := startShell(t, tt.script)
			start := time.Now()
			if tt.stop {
				c.stop(syscall.SIGTERM, tt.grace, logf)
			}
			code, why := c.exitCode()
			if code != tt.wantCode || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("exitCode = %d %q, want %d %q", code, why, tt.wantCode, tt.wantWhy)
			}
			if tt.wantCode == 137 && time.Since(start) < tt.grace {
				t.Errorf("killed after %v, before the %v grace", time.Since(start), tt.grace)
			}
		})
	}
}

func TestChildForwardedSignalReachesGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell runs a grandchild and only waits: a stop that reached
	// the shell alone would leave the grandchild running.
	c, _ := startShell(t, `sleep 30 & echo $! > `+pidFile+`; echo ready; wait`)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	c.stop(syscall.SIGTERM, 5*time.Second, func(string, ...any) {})
	if code, why := c.exitCode(); code != 0 {
		t.Errorf("after forwarded SIGTERM: %d %s", code, why)
	}
	testbin.WaitUntil(t, 5*time.Second, func() error {
		if syscall.Kill(grandchild, 0) == nil {
			return fmt.Errorf("grandchild %d still running after the stop", grandchild)
		}
		return nil
	})
}

func TestChildEnvAndOutput(t *testing.T) {
	c, out := startShell(t, `echo "ready PORT=$PORT URL=$TS_PLUG_URL HOME_SET=${HOME:+yes}"`,
		"PORT=8080", "TS_PLUG_URL=http://llm")
	c.exitCode()
	if got := out.String(); !strings.Contains(got, "PORT=8080 URL=http://llm HOME_SET=yes") {
		t.Errorf("child output %q", got)
	}
}

func TestStartChildErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	tests := []struct {
		argv []string
		code int
	}{
		{[]string{"no-such-command-for-ts-plug"}, 127},
		{[]string{filepath.Join(dir, "missing")}, 127},
		{[]string{notExec}, 126},
	}
	for _, tt := range tests {
		_, err := startChild(tt.argv, nil, nil, nil)
		var ee *exitError
		if !errors.As(err, &ee) || ee.ExitCode() != tt.code || !strings.Contains(ee.Error(), "cannot start") {
			t.Errorf("startChild(%q) = %v, want exit %d", tt.argv, err, tt.code)
		}
	}
}
