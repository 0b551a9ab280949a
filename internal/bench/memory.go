package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemStatus is a process's resident memory, from /proc/PID/status.
type MemStatus struct {
	RSS int64 // VmRSS, bytes resident now
	HWM int64 // VmHWM, the peak resident bytes so far
}

// ReadMem reads the memory status of process pid (Linux only).
func ReadMem(pid int) (MemStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return MemStatus{}, fmt.Errorf("reading memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	return parseStatus(bufio.NewScanner(f))
}

// parseStatus extracts VmRSS and VmHWM from /proc/PID/status lines.
func parseStatus(sc *bufio.Scanner) (MemStatus, error) {
	var m MemStatus
	var found int
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "kB")), 10, 64)
		if err != nil {
			return MemStatus{}, fmt.Errorf("parsing %s %q: %w", key, val, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return MemStatus{}, fmt.Errorf("reading status: %w", err)
	}
	if found < 2 {
		return MemStatus{}, fmt.Errorf("status has no VmRSS/VmHWM")
	}
	return m, nil
}

// Sampler polls a process's RSS and keeps the largest value seen, to
// measure memory "under load" without relying on VmHWM, which also counts
// peaks from before the measurement began.
type Sampler struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	max  int64
}

// StartSampler polls pid every interval until Stop.
func StartSampler(pid int, interval time.Duration) *Sampler {
	s := &Sampler{pid: pid, stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *Sampler) sample() {
	m, err := ReadMem(s.pid)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.max = max(s.max, m.RSS)
	s.mu.Unlock()
}

// Stop ends polling (after one last sample) and returns the largest RSS
// seen, in bytes.
func (s *Sampler) Stop() int64 {
	close(s.stop)
	s.wg.Wait()
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}
