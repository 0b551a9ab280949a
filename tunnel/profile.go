package tunnel

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// CPUProfileEnv names a file to write a CPU profile of the whole run to,
// finished on a clean stop, for aperture, ts-unplug and ts-plug alike. It
// is a developer's knob (the benchmark harness's -profile sets it), not a
// flag: a served binary never needs it.
const CPUProfileEnv = "TSPLUG_CPUPROFILE"

// StartCPUProfile starts profiling into path ("" does nothing) and returns
// the function that finishes the profile.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CPUProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", CPUProfileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// LimitMemoryAndProfile applies what ts-unplug and ts-plug run with: the
// default soft memory limit (DefaultMemoryLimit) and, when CPUProfileEnv
// names a file, a CPU profile. It returns the receive window to give the
// node (NodeConfig.MaxReceiveWindow, see SetDefaultMemoryLimit) and the
// function that finishes the profile. It starts nothing else. aperture
// takes only the profile (see gateway/app's run).
func LimitMemoryAndProfile() (maxReceiveWindow int, stopProfile func(), err error) {
	maxReceiveWindow = SetDefaultMemoryLimit()
	stopProfile, err = StartCPUProfile(os.Getenv(CPUProfileEnv))
	return maxReceiveWindow, stopProfile, err
}
