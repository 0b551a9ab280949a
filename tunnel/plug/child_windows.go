//go:build windows

package plug

import (
	"os"
	"syscall"
)

// forwardedSignals: Windows has no signals to pass on; Ctrl-C stops
// ts-plug, which then ends the command.
var forwardedSignals = []os.Signal{os.Interrupt}

func childSysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup cannot deliver a signal on Windows: the command is ended.
func signalGroup(p *os.Process, _ syscall.Signal) error { return p.Kill() }

func killGroup(p *os.Process) { p.Kill() }

func signalOf(*os.ProcessState) (syscall.Signal, bool) { return 0, false }
