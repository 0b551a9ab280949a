package installers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Root mode (Spec.Root set): the unit file is written, removed and checked
// directly, with no kardianos and no service manager involved, so nothing
// is enabled, started or reloaded.

// installRoot writes the unit for s below s.Root with mode 0644, creating
// directories (0755) as needed. It refuses to overwrite an existing file.
func installRoot(s Spec) error {
	m := sys.fileManager()
	path, err := unitPath(s, m)
	if err != nil {
		return fmt.Errorf("installing service %s: %w", s.Name, err)
	}
	unit, err := renderUnit(s, m)
	if err != nil {
		return fmt.Errorf("installing service %s: %w", s.Name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return mapError("installing", s, managerNone, fmt.Errorf("creating unit directory: %w", err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errAlreadyInstalled(s, path, err)
	}
	if err != nil {
		return mapError("installing", s, managerNone, fmt.Errorf("creating unit file: %w", err))
	}
	_, werr := f.WriteString(unit)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(path, 0o644)); err != nil { // Chmod undoes the umask
		os.Remove(path)
		return fmt.Errorf("installing service %s: writing %s: %w", s.Name, path, err)
	}
	return nil
}

// uninstallRoot removes the unit file for s below s.Root.
func uninstallRoot(s Spec) error {
	path, err := unitPath(s, sys.fileManager())
	if err != nil {
		return fmt.Errorf("uninstalling service %s: %w", s.Name, err)
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errNotInstalled(s, err)
	}
	if err != nil {
		return mapError("uninstalling", s, managerNone, err)
	}
	return nil
}

// statusRoot reports StatusNotInstalled when the unit file is missing and
// StatusUnknown when it is present: no service manager is asked.
func statusRoot(s Spec) (string, error) {
	path, err := unitPath(s, sys.fileManager())
	if err != nil {
		return StatusUnknown, fmt.Errorf("checking service %s: %w", s.Name, err)
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return StatusUnknown, nil
	case errors.Is(err, fs.ErrNotExist):
		return StatusNotInstalled, nil
	}
	return StatusUnknown, fmt.Errorf("checking service %s: %w", s.Name, err)
}
