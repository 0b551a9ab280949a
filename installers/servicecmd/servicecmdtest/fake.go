// Package servicecmdtest is a fake service manager for tests of the
// service commands (servicecmd.Manager), so that no test touches the
// machine's systemd, launchd or Windows SCM.
package servicecmdtest

import (
	"fmt"
	"sync"

	"github.com/tsplug/ts-plug/installers"
)

// Fake holds the installed services in Units and records what it was
// asked in Calls ("start system/NAME", "uninstall user/NAME below ROOT").
type Fake struct {
	Units map[string]Unit // keyed by Key
	// Err is what Start, Stop, Restart and Uninstall return.
	Err error

	mu    sync.Mutex
	calls []string
}

// Unit is one installed service.
type Unit struct {
	State     string // an installers.Status* value
	StateErr  error
	Installed installers.Installed
}

// Key is "system/NAME" or "user/NAME" for the service spec names.
func Key(s installers.Spec) string {
	if s.User {
		return "user/" + s.Name
	}
	return "system/" + s.Name
}

// Calls returns what the fake was asked to do, in order.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *Fake) Status(s installers.Spec) (string, error) {
	u, ok := f.Units[Key(s)]
	if !ok {
		return installers.StatusNotInstalled, nil
	}
	return u.State, u.StateErr
}

func (f *Fake) ReadInstalled(s installers.Spec) (installers.Installed, error) {
	u, ok := f.Units[Key(s)]
	if !ok {
		return installers.Installed{}, fmt.Errorf("%s: %w", Key(s), installers.ErrNotInstalled)
	}
	return u.Installed, nil
}

func (f *Fake) act(verb string, s installers.Spec) error {
	k := verb + " " + Key(s)
	if s.Root != "" {
		k += " below " + s.Root
	}
	f.mu.Lock()
	f.calls = append(f.calls, k)
	f.mu.Unlock()
	return f.Err
}

func (f *Fake) Start(s installers.Spec) error     { return f.act("start", s) }
func (f *Fake) Stop(s installers.Spec) error      { return f.act("stop", s) }
func (f *Fake) Restart(s installers.Spec) error   { return f.act("restart", s) }
func (f *Fake) Uninstall(s installers.Spec) error { return f.act("uninstall", s) }
