// Package hostsfile adds and removes a program's own lines in the
// system hosts file (/etc/hosts, or Windows' drivers\etc\hosts), so that
// a name such as ts-unplug's tailnet name resolves to 127.0.0.1 on this
// machine. Every line it writes ends with a marker comment, and it only
// ever removes or replaces lines that carry that marker: the rest of the
// file, comments, blank lines and line endings included, is kept byte
// for byte.
package hostsfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultPath is this system's hosts file.
func DefaultPath() string {
	if runtime.GOOS == "windows" {
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		return filepath.Join(root, "System32", "drivers", "etc", "hosts")
	}
	return "/etc/hosts"
}

// File is one hosts file and the marker that makes a line ours.
type File struct {
	Path string
	// Marker is the comment our lines end with, without the '#'
	// ("ts-unplug" gives "127.0.0.1 name # ts-unplug").
	Marker string
}

// Mapping is what a hosts file says about one name.
type Mapping struct {
	IP   netip.Addr
	Ours bool // the line carries our marker
	Line int  // 1-based line number
}

// Lookup reports the first line that maps name, as the resolver would
// use it. ok is false when no line names it.
func (f File) Lookup(name string) (m Mapping, ok bool, err error) {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return Mapping{}, false, f.wrap("reading", err)
	}
	for i, l := range splitLines(b) {
		if ip, names, ours, valid := f.parse(l); valid && hasName(names, name) {
			return Mapping{IP: ip, Ours: ours, Line: i + 1}, true, nil
		}
	}
	return Mapping{}, false, nil
}

// Add makes name resolve to ip with a line of ours. It changes nothing
// (changed false) when the first line naming name already maps it to ip,
// whoever wrote it; it replaces a line of ours that maps it elsewhere; and
// it refuses when a line not ours maps it elsewhere, since the resolver
// would keep using that one.
func (f File) Add(ip netip.Addr, name string) (changed bool, err error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	b, mode, err := f.read()
	if err != nil {
		return false, err
	}
	lines := splitLines(b)
	eol := lineEnding(b)
	want := fmt.Sprintf("%s %s # %s", ip, name, f.Marker)
	var out [][]byte
	placed := false
	for i, l := range lines {
		lip, names, ours, valid := f.parse(l)
		if !valid || !hasName(names, name) {
			out = append(out, l)
			continue
		}
		switch {
		case lip == ip && !placed:
			return false, nil // already resolves as wanted
		case ours:
			if !placed {
				out = append(out, append([]byte(want), eol...))
				placed = true
			}
			// a second line of ours for the name is dropped
		case !placed:
			return false, fmt.Errorf("%s line %d maps %s to %s, and it is not a line ts-unplug wrote; remove or change it, then try again (%s wants %s)",
				f.Path, i+1, name, lip, f.Marker, ip)
		default:
			out = append(out, l)
		}
	}
	if !placed {
		if n := len(out); n > 0 && !bytes.HasSuffix(out[n-1], []byte("\n")) {
			out[n-1] = append(bytes.Clone(out[n-1]), eol...)
		}
		out = append(out, append([]byte(want), eol...))
	}
	return true, f.write(bytes.Join(out, nil), mode)
}

// Remove deletes the lines of ours that map name (every line of ours
// when name is empty) and returns them, without line endings. Lines
// without the marker are never touched, even when they name name.
func (f File) Remove(name string) (removed []string, err error) {
	b, mode, err := f.read()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, l := range splitLines(b) {
		_, names, ours, valid := f.parse(l)
		if valid && ours && (name == "" || hasName(names, name)) {
			removed = append(removed, strings.TrimRight(string(l), "\r\n"))
			continue
		}
		out = append(out, l)
	}
	if len(removed) == 0 {
		return nil, nil
	}
	return removed, f.write(bytes.Join(out, nil), mode)
}

// parse reads one line: its address, its names and whether it carries
// our marker. valid is false for blank lines, comments and lines that do
// not start with an IP address.
func (f File) parse(line []byte) (ip netip.Addr, names []string, ours, valid bool) {
	s := strings.TrimRight(string(line), "\r\n")
	comment := ""
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, comment = s[:i], strings.TrimSpace(s[i+1:])
	}
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return netip.Addr{}, nil, false, false
	}
	ip, err := netip.ParseAddr(fields[0])
	if err != nil {
		return netip.Addr{}, nil, false, false
	}
	return ip, fields[1:], f.Marker != "" && comment == f.Marker, true
}

func hasName(names []string, name string) bool {
	name = strings.TrimSuffix(name, ".")
	for _, n := range names {
		if strings.EqualFold(strings.TrimSuffix(n, "."), name) {
			return true
		}
	}
	return false
}

// checkName refuses anything but a DNS name, so that no caller can write
// a second address, a comment or a line break into the file.
func checkName(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("hosts file: %q is not a DNS name", name)
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return fmt.Errorf("hosts file: %q is not a DNS name", name)
		}
		for _, c := range label {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return fmt.Errorf("hosts file: %q is not a DNS name", name)
			}
		}
	}
	return nil
}

// splitLines splits b after each '\n', keeping the line endings.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, b)
			break
		}
		lines = append(lines, b[:i+1])
		b = b[i+1:]
	}
	return lines
}

// lineEnding is the file's own: CRLF when its first line ends so (the
// Windows hosts file), else LF.
func lineEnding(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i > 0 && b[i-1] == '\r' {
		return []byte("\r\n")
	}
	if i < 0 && runtime.GOOS == "windows" {
		return []byte("\r\n")
	}
	return []byte("\n")
}

// read reads the file, refusing anything but a regular file: a symlink
// may point anywhere (a read-only store, another file), and a rename
// would replace the link rather than edit its target.
func (f File) read() ([]byte, fs.FileMode, error) {
	fi, err := os.Lstat(f.Path)
	if err != nil {
		return nil, 0, f.wrap("reading", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(f.Path)
		return nil, 0, fmt.Errorf("%s is a symlink (to %s); ts-unplug does not edit a hosts file through a link: add the line yourself", f.Path, target)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file; ts-unplug does not edit it: add the line yourself", f.Path)
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, 0, f.wrap("reading", err)
	}
	return b, fi.Mode().Perm(), nil
}

// write replaces the file atomically: a temporary file next to it, with
// its mode (and owner, where that means something), renamed over it, so
// a crash or a concurrent reader never sees half a hosts file.
func (f File) write(b []byte, mode fs.FileMode) error {
	dir, base := filepath.Split(f.Path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return f.wrap("writing", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return f.wrap("writing", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return f.wrap("writing", err)
	}
	if err := tmp.Close(); err != nil {
		return f.wrap("writing", err)
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return f.wrap("writing", err)
	}
	if err := keepOwner(f.Path, tmp.Name()); err != nil {
		return f.wrap("writing", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		if !isBusy(err) {
			return f.wrap("writing", err)
		}
		// A container's /etc/hosts is a bind mount, which cannot be
		// renamed over; rewriting it in place is all that is possible.
		return f.rewriteInPlace(b)
	}
	return nil
}

func (f File) rewriteInPlace(b []byte) error {
	w, err := openNoFollow(f.Path)
	if err != nil {
		return f.wrap("writing", err)
	}
	if _, err := w.Write(b); err != nil {
		w.Close()
		return f.wrap("writing", err)
	}
	return f.wrap("writing", w.Close())
}

// wrap adds the path, and for a permission error what to do about it.
func (f File) wrap(verb string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrPermission) {
		how := "run it with sudo"
		if runtime.GOOS == "windows" {
			how = "run it from an administrator prompt"
		}
		return fmt.Errorf("%s %s: permission denied: only an administrator may change it; %s: %w", verb, f.Path, how, err)
	}
	return fmt.Errorf("%s %s: %w", verb, f.Path, err)
}
