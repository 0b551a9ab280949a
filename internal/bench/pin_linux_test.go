package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary, started by a test, act as one of the
// helpers below instead of running tests.
const helperEnv = "BENCH_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "affinity":
		// What a child started pinned sees: every thread's mask (the
		// runtime's own threads and new ones) and its GOMAXPROCS.
		spawnThreads(3)
		fmt.Printf("gomaxprocs %d\n", runtime.GOMAXPROCS(0))
		printTasks()
	case "plan":
		// The harness's own placement, as it would start: pinned where
		// it can, its threads on the load CPUs.
		p := setUpPinning(true)
		fmt.Printf("plan %s\n", p)
		spawnThreads(3)
		fmt.Printf("gomaxprocs %d\n", runtime.GOMAXPROCS(0))
		printTasks()
	case "burn":
		// Uses 100 ms of CPU, then waits to be read.
		for {
			var ts unix.Timespec
			unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
			if time.Duration(ts.Nano()) >= 100*time.Millisecond {
				break
			}
		}
		fmt.Println("burnt")
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

// spawnThreads starts n goroutines that each hold an OS thread of their
// own, so the process has threads created after it started.
func spawnThreads(n int) {
	for range n {
		ready := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(ready)
			select {}
		}()
		<-ready
	}
}

// printTasks prints "task TID CPULIST" for every thread of this process.
func printTasks() {
	for tid, cpus := range taskMasks("self") {
		fmt.Printf("task %d %s\n", tid, cpus)
	}
}

// taskMasks is the Cpus_allowed_list of every thread of process pid
// ("self" for this one).
func taskMasks(pid string) map[int]string {
	dirs, _ := filepath.Glob("/proc/" + pid + "/task/*")
	m := map[int]string{}
	for _, d := range dirs {
		tid, _ := strconv.Atoi(filepath.Base(d))
		f, err := os.Open(filepath.Join(d, "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
				m[tid] = strings.TrimSpace(v)
			}
		}
		f.Close()
	}
	return m
}

// runHelper starts the test binary as helper mode on cpus and returns
// its output once it has exited.
func runHelper(t *testing.T, mode string, cpus []int) string {
	t.Helper()
	p, err := StartProc(mode, cpus, append(os.Environ(), helperEnv+"="+mode), os.Args[0], "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.Stop()
		t.Fatalf("helper %s did not finish:\n%s", mode, p.Output())
	}
	if p.err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, p.err, p.Output())
	}
	return p.Output()
}

// helperThreads parses a helper's GOMAXPROCS and thread masks.
func helperThreads(t *testing.T, out string) (gomaxprocs int, masks []string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "gomaxprocs":
			gomaxprocs, _ = strconv.Atoi(f[1])
		case len(f) == 3 && f[0] == "task":
			masks = append(masks, f[2])
		}
	}
	if gomaxprocs == 0 || len(masks) < 4 {
		t.Fatalf("helper printed no GOMAXPROCS or too few threads:\n%s", out)
	}
	return gomaxprocs, masks
}

func TestStartOnPinsEveryThreadOfTheChild(t *testing.T) {
	allowed, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	before := taskMasks("self")
	for _, cpu := range []int{allowed[0], allowed[len(allowed)-1]} {
		out := runHelper(t, "affinity", []int{cpu})
		gomaxprocs, masks := helperThreads(t, out)
		if gomaxprocs != 1 {
			t.Errorf("child on CPU %d has GOMAXPROCS %d, want 1", cpu, gomaxprocs)
		}
		for _, m := range masks {
			if m != strconv.Itoa(cpu) {
				t.Errorf("child started on CPU %d has a thread on %s:\n%s", cpu, m, out)
			}
		}
	}
	// The thread that started the children carried their mask; none of
	// the harness's own threads may keep it.
	for tid, m := range taskMasks("self") {
		if want, ok := before[tid]; ok && m != want {
			t.Errorf("this process's thread %d moved from CPUs %s to %s", tid, want, m)
		}
		if want := cpuListRange(allowed); m != want && len(allowed) > 1 {
			t.Errorf("this process's thread %d is on CPUs %s, want all of %s", tid, m, want)
		}
	}
}

// cpuListRange is how the kernel writes cpus in Cpus_allowed_list when
// they are contiguous ("0-1"), or a single CPU.
func cpuListRange(cpus []int) string {
	if len(cpus) == 1 {
		return strconv.Itoa(cpus[0])
	}
	if cpus[len(cpus)-1]-cpus[0] == len(cpus)-1 {
		return fmt.Sprintf("%d-%d", cpus[0], cpus[len(cpus)-1])
	}
	return cpuList(cpus)
}

func TestSetUpPinningMovesEveryThreadOfTheHarness(t *testing.T) {
	allowed, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(allowed) < 2 {
		t.Skip("one CPU: nothing to divide (TestSetUpPinningFallsBackOnOneCPU covers it)")
	}
	out := runHelper(t, "plan", allowed)
	want := planPinning(allowed, nil)
	if !strings.Contains(out, "plan "+want.String()) {
		t.Errorf("helper's plan:\n%s\nwant %q", out, want)
	}
	gomaxprocs, masks := helperThreads(t, out)
	if gomaxprocs != len(want.Load) {
		t.Errorf("GOMAXPROCS %d after pinning, want %d", gomaxprocs, len(want.Load))
	}
	for _, m := range masks {
		got, err := parseCPUList(m)
		if err != nil || !slices.Equal(got, want.Load) {
			t.Errorf("a thread of the pinned harness is on CPUs %s, want %v:\n%s", m, want.Load, out)
		}
	}
}

func TestSetUpPinningFallsBackOnOneCPU(t *testing.T) {
	allowed, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cpu := allowed[len(allowed)-1]
	out := runHelper(t, "plan", []int{cpu})
	want := fmt.Sprintf("plan not pinned, every process shares the CPUs: only one CPU (%d) is available to the harness", cpu)
	if !strings.Contains(out, want) {
		t.Errorf("helper on one CPU printed:\n%s\nwant %q", out, want)
	}
	_, masks := helperThreads(t, out)
	for _, m := range masks {
		if m != strconv.Itoa(cpu) {
			t.Errorf("unpinned harness moved a thread to %s", m)
		}
	}
	if p := setUpPinning(false); p.Pinned() || !strings.Contains(p.String(), "-pin=false") {
		t.Errorf("setUpPinning(false) = %s", p)
	}
}

func TestProcessCPU(t *testing.T) {
	p, err := StartProc("burn", nil, append(os.Environ(), helperEnv+"=burn"), os.Args[0], "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.WaitLine(ctx, "burnt"); err != nil {
		t.Fatal(err)
	}
	got, err := processCPU(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	ticks, err := ReadCPU(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	// The child used at least 100 ms (its own clock says so) and, idle
	// since, not much more; /proc/PID/stat agrees to its 10 ms ticks.
	if got < 100*time.Millisecond || got > 2*time.Second {
		t.Errorf("processCPU = %v, want a little over 100ms", got)
	}
	if d := got - ticks; d < -20*time.Millisecond || d > 20*time.Millisecond {
		t.Errorf("processCPU %v and /proc/PID/stat %v disagree", got, ticks)
	}
}
