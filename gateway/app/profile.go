package app

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a file to write a CPU profile of the whole run to,
// finished on a clean stop. It is a developer's knob (the benchmark
// harness's -profile sets it), not a flag: a served gateway never needs it.
const cpuProfileEnv = "APERTURE_CPUPROFILE"

// startCPUProfile starts profiling into path ("" does nothing) and returns
// the function that finishes the profile.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
