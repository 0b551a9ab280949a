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

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// ReadCPU returns the CPU time (user + system) process pid has used so
// far, from /proc/PID/stat (Linux only; 10 ms resolution).
func ReadCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of pid %d: %w", pid, err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU extracts utime+stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) may hold spaces, so the
// fields are counted after its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %q: no command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat %q: too few fields", stat)
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15, counting from 1 with pid and comm
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat %q: %w", stat, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
