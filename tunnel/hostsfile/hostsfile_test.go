package hostsfile

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var loopback = netip.MustParseAddr("127.0.0.1")

const name = "laptop-unplug.example.ts.net"

func writeHosts(t *testing.T, content string, mode fs.FileMode) File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return File{Path: p, Marker: "ts-unplug"}
}

func readHosts(t *testing.T, f File) string {
	t.Helper()
	b, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name, before, after string
		changed             bool
	}{
		{
			name:    "appends to a file keeping its lines and comments",
			before:  "# static table\n127.0.0.1\tlocalhost\n\n::1 localhost ip6-localhost # v6\n",
			after:   "# static table\n127.0.0.1\tlocalhost\n\n::1 localhost ip6-localhost # v6\n127.0.0.1 " + name + " # ts-unplug\n",
			changed: true,
		},
		{
			name:    "keeps CRLF line endings",
			before:  "# Windows\r\n127.0.0.1 localhost\r\n",
			after:   "# Windows\r\n127.0.0.1 localhost\r\n127.0.0.1 " + name + " # ts-unplug\r\n",
			changed: true,
		},
		{
			name:    "ends an unterminated last line first",
			before:  "127.0.0.1 localhost",
			after:   "127.0.0.1 localhost\n127.0.0.1 " + name + " # ts-unplug\n",
			changed: true,
		},
		{
			name:    "our line already there: nothing to do",
			before:  "127.0.0.1 localhost\n127.0.0.1 " + name + " # ts-unplug\n",
			after:   "127.0.0.1 localhost\n127.0.0.1 " + name + " # ts-unplug\n",
			changed: false,
		},
		{
			name:    "the user's own line already maps it to loopback: left alone, no second line",
			before:  "127.0.0.1 localhost " + strings.ToUpper(name) + "\n",
			after:   "127.0.0.1 localhost " + strings.ToUpper(name) + "\n",
			changed: false,
		},
		{
			name:    "our line with another address is replaced in place, duplicates of ours dropped",
			before:  "10.0.0.1 " + name + " # ts-unplug\n# keep\n10.0.0.2 " + name + " # ts-unplug\n",
			after:   "127.0.0.1 " + name + " # ts-unplug\n# keep\n",
			changed: true,
		},
		{
			name:    "a line for another name with our marker is not ours to change",
			before:  "127.0.0.2 other.example.ts.net # ts-unplug\n",
			after:   "127.0.0.2 other.example.ts.net # ts-unplug\n127.0.0.1 " + name + " # ts-unplug\n",
			changed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeHosts(t, tt.before, 0o644)
			changed, err := f.Add(loopback, name)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if got := readHosts(t, f); got != tt.after {
				t.Errorf("file after Add:\n%q\nwant\n%q", got, tt.after)
			}
			// Adding again never changes anything.
			if changed, err := f.Add(loopback, name); err != nil || changed {
				t.Errorf("second Add: changed %v, err %v; want no change", changed, err)
			}
			if got := readHosts(t, f); got != tt.after {
				t.Errorf("file after second Add:\n%q\nwant\n%q", got, tt.after)
			}
		})
	}
}

func TestAddRefusesAnotherMappingNotOurs(t *testing.T) {
	before := "100.64.0.7 " + name + "\n"
	f := writeHosts(t, before, 0o644)
	_, err := f.Add(loopback, name)
	if err == nil || !strings.Contains(err.Error(), "line 1 maps "+name+" to 100.64.0.7") {
		t.Fatalf("Add over a foreign mapping: err = %v, want one naming the line", err)
	}
	if got := readHosts(t, f); got != before {
		t.Errorf("file changed to %q", got)
	}
}

func TestAddRefusesBadNames(t *testing.T) {
	f := writeHosts(t, "", 0o644)
	for _, bad := range []string{"", "a b", "x\n10.0.0.1 bank.com", "name#c", "-lead.example", "a..b", strings.Repeat("a", 64) + ".net"} {
		if _, err := f.Add(loopback, bad); err == nil {
			t.Errorf("Add(%q) succeeded, want an error", bad)
		}
	}
	if got := readHosts(t, f); got != "" {
		t.Errorf("file changed to %q", got)
	}
}

func TestRemoveOnlyOurs(t *testing.T) {
	before := "# header\r\n" +
		"127.0.0.1 " + name + " # ts-unplug\r\n" +
		"127.0.0.1 " + name + "\r\n" + // the user's own: kept
		"127.0.0.1 " + name + " # ts-unplug-old\r\n" + // another marker: kept
		"127.0.0.1 other.example.ts.net # ts-unplug\r\n" +
		"# 127.0.0.1 " + name + " # ts-unplug\r\n" // a comment: kept
	f := writeHosts(t, before, 0o644)
	removed, err := f.Remove(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1 " + name + " # ts-unplug"; len(removed) != 1 || removed[0] != want {
		t.Errorf("removed %q, want [%q]", removed, want)
	}
	want := "# header\r\n" +
		"127.0.0.1 " + name + "\r\n" +
		"127.0.0.1 " + name + " # ts-unplug-old\r\n" +
		"127.0.0.1 other.example.ts.net # ts-unplug\r\n" +
		"# 127.0.0.1 " + name + " # ts-unplug\r\n"
	if got := readHosts(t, f); got != want {
		t.Errorf("file after Remove:\n%q\nwant\n%q", got, want)
	}
	// Nothing of ours left for the name: no write, nothing removed.
	if removed, err := f.Remove(name); err != nil || len(removed) != 0 {
		t.Errorf("second Remove: %q, %v", removed, err)
	}
	if removed, _ := f.Remove(""); len(removed) != 1 || !strings.Contains(removed[0], "other.example.ts.net") {
		t.Errorf("Remove(\"\") removed %q, want the other line of ours", removed)
	}
}

func TestRemoveMissingFile(t *testing.T) {
	f := File{Path: filepath.Join(t.TempDir(), "hosts"), Marker: "ts-unplug"}
	if removed, err := f.Remove(name); err != nil || removed != nil {
		t.Errorf("Remove on a missing file: %q, %v", removed, err)
	}
}

func TestWriteKeepsModeAndLeavesNoTemp(t *testing.T) {
	f := writeHosts(t, "127.0.0.1 localhost\n", 0o640)
	if _, err := f.Add(loopback, name); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(f.Path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only hosts (a temp file was left)", len(entries))
	}
}

func TestRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "real-hosts")
	os.WriteFile(target, []byte("127.0.0.1 localhost\n"), 0o644)
	link := filepath.Join(dir, "hosts")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	f := File{Path: link, Marker: "ts-unplug"}
	if _, err := f.Add(loopback, name); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Add through a symlink: err = %v, want a refusal naming the symlink", err)
	}
	if _, err := f.Remove(name); err == nil {
		t.Errorf("Remove through a symlink succeeded")
	}
	if b, _ := os.ReadFile(target); string(b) != "127.0.0.1 localhost\n" {
		t.Errorf("link target changed to %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
}

func TestPermissionErrorSaysWhatToDo(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a non-root Unix user: root may write anywhere")
	}
	f := writeHosts(t, "127.0.0.1 localhost\n", 0o644)
	os.Chmod(f.Path, 0o444)
	os.Chmod(filepath.Dir(f.Path), 0o555)
	t.Cleanup(func() { os.Chmod(filepath.Dir(f.Path), 0o755) })
	_, err := f.Add(loopback, name)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "sudo") {
		t.Errorf("err = %v, want a permission error saying to use sudo", err)
	}
}

func TestPermissionMessage(t *testing.T) {
	// Runs as root as well: the message is built from any permission
	// error, whatever raised it.
	f := File{Path: "/etc/hosts", Marker: "ts-unplug"}
	err := f.wrap("writing", &fs.PathError{Op: "open", Path: "/etc/.hosts.tmp-1", Err: fs.ErrPermission})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "writing /etc/hosts: permission denied") {
		t.Errorf("err = %v", err)
	}
	want := "sudo"
	if runtime.GOOS == "windows" {
		want = "administrator"
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
}

func TestLookup(t *testing.T) {
	f := writeHosts(t, "# x\n10.1.1.1 foo\n127.0.0.1 "+name+" # ts-unplug\n", 0o644)
	m, ok, err := f.Lookup(strings.ToUpper(name) + ".")
	if err != nil || !ok || m.IP != loopback || !m.Ours || m.Line != 3 {
		t.Errorf("Lookup = %+v, %v, %v", m, ok, err)
	}
	if _, ok, _ := f.Lookup("bar"); ok {
		t.Errorf("Lookup(bar) found a line")
	}
}
