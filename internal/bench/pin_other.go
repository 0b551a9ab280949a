//go:build !linux

package main

import (
	"errors"
	"os/exec"
	"time"
)

var errNoAffinity = errors.New("CPU affinity is only set on Linux")

func allowedCPUs() ([]int, error) { return nil, errNoAffinity }

func pinSelf([]int) error { return errNoAffinity }

// startOn starts cmd; without affinity, cpus must be empty.
func startOn(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) > 0 {
		return errNoAffinity
	}
	return cmd.Start()
}

func processCPU(pid int) (time.Duration, error) { return ReadCPU(pid) }
