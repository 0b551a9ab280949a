package tunnel

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// CPUProfileEnv names a file to write a CPU profile of the whole run to,
// finished on a clean stop, for aperture, ts-unplug and ts-plug alike. It
// is a developer's knob (the benchmark harness's -profile sets it), not a
// flag: a served binary never needs it.
const CPUProfileEnv = "TSPLUG_CPUPROFILE"

// AllocProfileEnv names a file to write an allocation profile of the
// whole run to, every allocation recorded (the benchmark harness's
// -allocprofile sets it): what allocates per request in the real binary
// under real load, which an in-process benchmark at one request at a time
// misattributes. Recording every allocation slows the process; it is a
// developer's knob like CPUProfileEnv.
const AllocProfileEnv = "TSPLUG_ALLOCPROFILE"

// TraceEnv names a file to write an execution trace (runtime/trace) of
// the whole run to, finished on a clean stop: which goroutine held the
// CPU while a request waited for it, which a CPU profile cannot say (the
// benchmark harness's -trace sets it, and its -waits reads the file). A
// developer's knob like CPUProfileEnv; a trace grows by megabytes a
// minute under load.
const TraceEnv = "TSPLUG_TRACE"

// StartCPUProfile starts profiling into path ("" does nothing) and returns
// the function that finishes the profile.
func StartCPUProfile(path string) (stop func(), err error) {
	return startStream(path, CPUProfileEnv, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// StartTrace starts an execution trace into path ("" does nothing) and
// returns the function that finishes it.
func StartTrace(path string) (stop func(), err error) {
	return startStream(path, TraceEnv, trace.Start, trace.Stop)
}

// startStream starts a recording the runtime streams to a writer (a CPU
// profile, an execution trace) into path, named by env in errors, and
// returns the function that ends it and reports a failed write. A
// recording that cannot start leaves no file.
func startStream(path, env string, start func(io.Writer) error, end func()) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	// pprof and the tracer drop their writer's errors: keep the first.
	w := &firstErrorWriter{w: f}
	if err := start(w); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	return func() {
		end()
		err := w.err
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			profileError("%s: writing %s: %v\n", env, path, err)
		}
	}, nil
}

// firstErrorWriter writes to w and keeps the first error.
type firstErrorWriter struct {
	w   io.Writer
	err error
}

func (e *firstErrorWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// profileError says that a profile could not be written: a developer's
// knob, so it stops nothing (a variable for tests).
var profileError = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format, args...) }

// StartProfiles starts the profiles CPUProfileEnv and AllocProfileEnv
// name, and the trace TraceEnv names, and returns the function that
// finishes them.
func StartProfiles() (stop func(), err error) {
	stopCPU, err := StartCPUProfile(os.Getenv(CPUProfileEnv))
	if err != nil {
		return nil, err
	}
	stopAllocs, err := StartAllocProfile(os.Getenv(AllocProfileEnv))
	if err != nil {
		stopCPU()
		return nil, err
	}
	stopTrace, err := StartTrace(os.Getenv(TraceEnv))
	if err != nil {
		stopCPU()
		stopAllocs()
		return nil, err
	}
	// The trace stops first: the allocation profile's GC and write are
	// not the run's.
	return func() { stopTrace(); stopCPU(); stopAllocs() }, nil
}

// StartAllocProfile records every allocation from now on and returns the
// function that writes them to path ("" does nothing).
func StartAllocProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", AllocProfileEnv, err)
	}
	runtime.MemProfileRate = 1
	return func() {
		runtime.GC() // the profile is as of the last GC
		err := pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			profileError("%s: writing %s: %v\n", AllocProfileEnv, path, err)
		}
	}, nil
}

// LimitMemoryAndProfile applies what ts-unplug and ts-plug run with: the
// default soft memory limit (DefaultMemoryLimit) and the profiles and
// trace the environment asks for (StartProfiles). It returns the receive
// window to give the node (NodeConfig.MaxReceiveWindow, see
// SetDefaultMemoryLimit) and the function that finishes them. It starts
// nothing else. aperture takes only the profiles (see gateway/app's run).
func LimitMemoryAndProfile() (maxReceiveWindow int, stopProfile func(), err error) {
	maxReceiveWindow = SetDefaultMemoryLimit()
	stopProfile, err = StartProfiles()
	return maxReceiveWindow, stopProfile, err
}
