package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// allowedCPUs are the CPUs this process may run on (its affinity mask,
// which taskset or a cgroup cpuset may have narrowed).
func allowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

func cpuSet(cpus []int) unix.CPUSet {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return set
}

// pinSelf moves this process onto cpus and sizes its scheduler to them.
// Affinity is per thread, and sched_setaffinity(0) sets only the calling
// thread's, so every thread of the process is set; a thread created
// meanwhile by one not yet set is caught by the next pass, and threads
// created after inherit the mask of the (set) thread that creates them.
func pinSelf(cpus []int) error {
	set := cpuSet(cpus)
	done := map[int]bool{}
	for range 10 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("listing this process's threads: %w", err)
		}
		fresh := 0
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched_setaffinity of thread %d to CPUs %s: %w", tid, cpuList(cpus), err)
			}
			done[tid] = true
			fresh++
		}
		if fresh == 0 {
			runtime.GOMAXPROCS(len(cpus))
			return nil
		}
	}
	return fmt.Errorf("this process kept starting threads while being pinned")
}

// startOn starts cmd on cpus (as it is, when cpus is empty), with
// GOMAXPROCS set to their number so a Go child does not plan for CPUs it
// may not use. A child inherits the affinity of the thread that forks it,
// and exec.Cmd.Start forks from its caller's thread, so the start happens
// on this goroutine's thread, locked to it and given the child's mask for
// the moment, then given its own back before other goroutines may run on
// it. (Leaving it locked for the runtime to end is not enough: the main
// thread is never ended, only parked, and would keep the mask.)
func startOn(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) == 0 {
		return cmd.Start()
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(len(cpus)))
	set := cpuSet(cpus)
	runtime.LockOSThread()
	var own unix.CPUSet
	if err := unix.SchedGetaffinity(0, &own); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("sched_getaffinity: %w", err)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("sched_setaffinity to CPUs %s: %w", cpuList(cpus), err)
	}
	err := cmd.Start()
	if unix.SchedSetaffinity(0, &own) == nil {
		runtime.UnlockOSThread()
	} // else the thread stays locked to this goroutine rather than carry the mask to others
	return err
}

// processCPU is the CPU time (user and system, all threads, those that
// have ended too) process pid has used, in nanoseconds: the process's
// CPU-time clock, which any process may read (clock_getcpuclockid's
// encoding). /proc/PID/stat counts in 10 ms ticks, too coarse for a short
// block; it is the fallback.
func processCPU(pid int) (time.Duration, error) {
	clock := int32(^uint32(pid)<<3) | 2 // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return ReadCPU(pid)
	}
	return time.Duration(ts.Nano()), nil
}
