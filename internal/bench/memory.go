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
	// Anon and File split RSS (Linux 4.5+; zero when absent): the
	// process's own memory (heap, stacks, SQLite's cache), and pages of
	// the executable and libraries, which are clean page cache.
	Anon, File int64
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

// parseStatus extracts VmRSS and VmHWM (required) and RssAnon and
// RssFile (when present) from /proc/PID/status lines.
func parseStatus(sc *bufio.Scanner) (MemStatus, error) {
	var m MemStatus
	fields := map[string]*int64{"VmRSS": &m.RSS, "VmHWM": &m.HWM, "RssAnon": &m.Anon, "RssFile": &m.File}
	var found int
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		dst := fields[key]
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "kB")), 10, 64)
		if err != nil {
			return MemStatus{}, fmt.Errorf("parsing %s %q: %w", key, val, err)
		}
		*dst = kb << 10
		if key == "VmRSS" || key == "VmHWM" {
			found++
		}
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
	peak MemStatus // the sample with the largest RSS
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
	if m.RSS > s.max {
		s.max, s.peak = m.RSS, m
	}
	s.mu.Unlock()
}

// Peak is the sample with the largest RSS so far, with its split.
func (s *Sampler) Peak() MemStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
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
