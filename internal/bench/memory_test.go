package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    MemStatus
		wantErr bool
	}{
		{"linux", "Name:\taperture\nVmPeak:\t  900 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nThreads:\t7\n",
			MemStatus{RSS: 20 << 20, HWM: 40 << 20}, false},
		{"missing", "Name:\tx\nVmRSS:\t1 kB\n", MemStatus{}, true},
		{"garbage", "VmRSS:\tlots kB\nVmHWM:\t1 kB\n", MemStatus{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(bufio.NewScanner(strings.NewReader(tt.in)))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatus = %+v, %v; want %+v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadMemSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMem(self) = %+v: want RSS > 0 and HWM >= RSS", m)
	}
	s := StartSampler(os.Getpid(), time.Millisecond)
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1 // touch every page so it is resident
	}
	// The running sampler must see it on its own (Stop samples once
	// more, so its answer alone would not show the polling).
	testbin.WaitUntil(t, 5*time.Second, func() error {
		s.mu.Lock()
		seen := s.max
		s.mu.Unlock()
		if seen < m.RSS+32<<20 {
			return fmt.Errorf("sampler saw %d bytes, want at least 32 MiB more than %d after touching 64 MiB", seen, m.RSS)
		}
		return nil
	})
	runtime.KeepAlive(ballast)
	if peak := s.Stop(); peak < m.RSS+32<<20 {
		t.Errorf("Stop = %d bytes, want at least 32 MiB more than %d", peak, m.RSS)
	}
}

func TestParseStatCPU(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
	stat := "4242 (aper ture) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 123 456 789\n"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3250*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v; want 3.25s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("garbage parsed")
	}
	if cpu, err := ReadCPU(os.Getpid()); err != nil || cpu < 0 {
		t.Errorf("ReadCPU(self) = %v, %v", cpu, err)
	}
}
