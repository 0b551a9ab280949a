package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestProcWaitLineAndStop(t *testing.T) {
	p, err := StartProc("sh", nil, nil, "/bin/sh", "-c", "echo starting; echo 'ready on http://x:1'; exec sleep 60")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	line, err := p.WaitLine(ctx, "ready on")
	if err != nil || line != "ready on http://x:1" {
		t.Fatalf("WaitLine = %q, %v", line, err)
	}
	start := time.Now()
	p.Stop()
	if !p.Exited() || time.Since(start) > 4*time.Second {
		t.Errorf("Stop did not end the process promptly (exited=%v)", p.Exited())
	}
}

func TestProcWaitLineExited(t *testing.T) {
	p, err := StartProc("sh", nil, nil, "/bin/sh", "-c", "echo boom; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.WaitLine(ctx, "never"); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("WaitLine on an exited process = %v, want an error showing its output", err)
	}
}

func TestFreePort(t *testing.T) {
	p, err := freePort()
	if err != nil || p <= 0 {
		t.Fatalf("freePort = %d, %v", p, err)
	}
	if got := loopbackURL(p); !strings.HasPrefix(got, "http://127.0.0.1:") {
		t.Errorf("loopbackURL = %q", got)
	}
}
