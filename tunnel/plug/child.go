package plug

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is the COMMAND ts-plug started: the local server it plugs in.
// Signals go to its whole process group (Unix), so a shell script or
// `npm start` wrapper stops together with the server it runs.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited

	mu        sync.Mutex
	forwarded map[syscall.Signal]bool // signals passed on to it
	killed    bool                    // ts-plug sent SIGKILL
	state     *os.ProcessState        // set before done is closed
	waitErr   error
}

// startChild starts argv with env added to ts-plug's own environment. Its
// stdin is /dev/null: it runs in its own process group, where reading the
// terminal would stop it.
func startChild(argv, env []string, stdout, stderr io.Writer) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = childSysProcAttr()
	// Output copying must not keep ts-plug waiting on a grandchild that
	// holds the pipe open after the command itself is gone.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, startError(argv[0], err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), forwarded: map[syscall.Signal]bool{}}
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.state, c.waitErr = cmd.ProcessState, err
		c.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// startError says why COMMAND did not start, with the exit status a shell
// would give: 127 not found, 126 not executable.
func startError(name string, err error) error {
	code := 1
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		code = 127
	case errors.Is(err, fs.ErrPermission):
		code = 126
	}
	return &exitError{code: code, msg: fmt.Sprintf("ts-plug: cannot start %s: %v", name, err)}
}

// Pid is the command's process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// exited reports whether the command has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// forward passes sig on to the command (and its process group).
func (c *child) forward(sig syscall.Signal) error {
	if c.exited() {
		return nil
	}
	c.mu.Lock()
	c.forwarded[sig] = true
	c.mu.Unlock()
	return signalGroup(c.cmd.Process, sig)
}

// stop ends the command: sig unless a stop signal was already passed on,
// then SIGKILL if it has not exited within grace. It returns once the
// command has exited.
func (c *child) stop(sig syscall.Signal, grace time.Duration, logf func(string, ...any)) {
	if c.exited() {
		return
	}
	c.mu.Lock()
	already := c.forwarded[syscall.SIGINT] || c.forwarded[syscall.SIGTERM]
	c.mu.Unlock()
	if !already {
		c.forward(sig)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
		return
	case <-t.C:
	}
	logf("%s did not exit within %v; killing it (SIGKILL)", c.cmd.Path, grace)
	c.mu.Lock()
	c.killed = true
	c.mu.Unlock()
	killGroup(c.cmd.Process)
	<-c.done
}

// exitCode is ts-plug's exit status once the command has exited: its
// own exit status; 0 if it ended because of a signal ts-plug passed on (a
// requested stop that worked); 137 if ts-plug had to kill it; 128+N if
// signal N killed it (a crash, or someone else's kill). why says so in
// words.
func (c *child) exitCode() (code int, why string) {
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		return 1, fmt.Sprintf("waiting for the command failed: %v", c.waitErr)
	}
	if sig, ok := signalOf(c.state); ok {
		switch {
		case c.killed && sig == syscall.SIGKILL:
			return 128 + int(sig), "the command was killed after the stop grace period"
		case c.forwarded[sig]:
			return 0, fmt.Sprintf("the command stopped on %v", sig)
		}
		return 128 + int(sig), fmt.Sprintf("the command was killed by signal %v", sig)
	}
	code = c.state.ExitCode()
	return code, fmt.Sprintf("the command exited with status %d", code)
}

// exitError ends ts-plug with code after printing msg (if any).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }
