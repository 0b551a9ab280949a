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
		{"split", "VmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nRssAnon:\t    5120 kB\nRssFile:\t   15360 kB\nRssShmem:\t       0 kB\n",
			MemStatus{RSS: 20 << 20, HWM: 40 << 20, Anon: 5 << 20, File: 15 << 20}, false},
		{"missing", "Name:\tx\nVmRSS:\t1 kB\n", MemStatus{}, true},
		{"split only", "RssAnon:\t1 kB\nRssFile:\t1 kB\n", MemStatus{}, true},
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

// TestMemorySplit: the under-load figure keeps the split of its own
// sample (not of a later, smaller one), and the report shows the split
// only when the kernel gave one.
func TestMemorySplit(t *testing.T) {
	big := MemStatus{RSS: 50 << 20, Anon: 28 << 20, File: 22 << 20}
	small := MemStatus{RSS: 40 << 20, Anon: 30 << 20, File: 10 << 20}
	tests := []struct {
		name     string
		samples  []MemStatus
		idle     MemStatus
		want     Memory
		wantRows []string
		noRow    bool
	}{
		{"larger first", []MemStatus{big, small}, MemStatus{RSS: 16 << 20, Anon: 5 << 20, File: 11 << 20},
			Memory{Idle: 16 << 20, IdleSplit: MemStatus{RSS: 16 << 20, Anon: 5 << 20, File: 11 << 20}, UnderLoad: 50 << 20, UnderLoadSplit: big},
			[]string{"| RSS at idle: the process's own memory (RssAnon) + pages of the binary and libraries (RssFile) | 5.0 + 11.0 |",
				"| RSS under load: the process's own memory (RssAnon) + pages of the binary and libraries (RssFile) | 28.0 + 22.0 |"}, false},
		{"larger last", []MemStatus{small, big}, MemStatus{},
			Memory{UnderLoad: 50 << 20, UnderLoadSplit: big},
			[]string{"| RSS under load: the process's own memory (RssAnon) + pages of the binary and libraries (RssFile) | 28.0 + 22.0 |"}, false},
		{"no split", []MemStatus{{RSS: 50 << 20}}, MemStatus{},
			Memory{UnderLoad: 50 << 20, UnderLoadSplit: MemStatus{RSS: 50 << 20}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			r.Memory = Memory{Idle: tt.idle.RSS, IdleSplit: tt.idle}
			for _, m := range tt.samples {
				r.Memory.noteUnderLoad(m)
			}
			if r.Memory != tt.want {
				t.Errorf("Memory = %+v, want %+v", r.Memory, tt.want)
			}
			var b strings.Builder
			if err := r.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			for _, row := range tt.wantRows {
				if !strings.Contains(b.String(), row) {
					t.Errorf("report lacks %q", row)
				}
			}
			if tt.noRow && strings.Contains(b.String(), "(RssAnon)") {
				t.Errorf("report shows a split the kernel did not give:\n%s", b.String())
			}
		})
	}
}
