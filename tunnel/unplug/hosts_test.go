package unplug

import (
	"bytes"
	"context"
	"github.com/tsplug/ts-plug/internal/testbin"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
	"github.com/urfave/cli/v2"
)

const ourLine = "127.0.0.1 " + testHTTPSName + " # ts-unplug"

func tempHosts(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The running ts-unplug, once up, records its name for install, hosts
// and uninstall, and maps it itself where it may (here: a writable file).
func TestWhenUpRecordsAndMapsTheName(t *testing.T) {
	ca := newTestCA(t)
	src := &fakeCerts{name: testHTTPSName, cert: ca.leaf(t, testHTTPSName, time.Now().Add(7*24*time.Hour))}
	logs := &testbin.SyncBuffer{}
	h := newLocalHTTPS(src, "127.0.0.1:9443", logs.Logf)
	dir := t.TempDir()
	hosts := tempHosts(t, "127.0.0.1 localhost\n")

	h.whenUp(context.Background(), dir, hosts, "ts-unplug hosts")
	if name, ok := readHTTPSName(dir); !ok || name != testHTTPSName {
		t.Errorf("recorded name %q, %v", name, ok)
	}
	if got := fileText(t, hosts); got != "127.0.0.1 localhost\n"+ourLine+"\n" {
		t.Errorf("hosts file:\n%s", got)
	}
	if l := logs.String(); !strings.Contains(l, "HTTPS at https://"+testHTTPSName+":9443") || !strings.Contains(l, "added `"+ourLine+"`") {
		t.Errorf("log:\n%s", l)
	}

	// Up again (a restart): already mapped, nothing written.
	logs2 := &testbin.SyncBuffer{}
	h2 := newLocalHTTPS(src, "127.0.0.1:9443", logs2.Logf)
	h2.whenUp(context.Background(), dir, hosts, "ts-unplug hosts")
	if got := fileText(t, hosts); strings.Count(got, testHTTPSName) != 1 {
		t.Errorf("hosts file after a restart:\n%s", got)
	}
	if l := logs2.String(); !strings.Contains(l, "maps the name to 127.0.0.1") {
		t.Errorf("log after a restart:\n%s", l)
	}
}

func TestWhenUpWithoutCertificatesSaysHowToTurnThemOn(t *testing.T) {
	logs := &testbin.SyncBuffer{}
	h := newLocalHTTPS(&fakeCerts{nameErr: errNoCertDomains}, "127.0.0.1:9443", logs.Logf)
	dir := t.TempDir()
	hosts := tempHosts(t, "")
	h.whenUp(context.Background(), dir, hosts, "ts-unplug hosts")
	if l := logs.String(); !strings.Contains(l, "turn on HTTPS Certificates in the admin console") {
		t.Errorf("log:\n%s", l)
	}
	if _, ok := readHTTPSName(dir); ok {
		t.Errorf("a name was recorded without certificates")
	}
	if got := fileText(t, hosts); got != "" {
		t.Errorf("hosts file changed: %q", got)
	}
}

func TestHostsCommand(t *testing.T) {
	dir := t.TempDir()
	hosts := tempHosts(t, "# mine\r\n10.0.0.5 nas\r\n")
	e := env{services: &servicecmdtest.Fake{}, goos: "linux", hostsPath: hosts}

	code, out := runWith(e, "hosts", "--dir", dir)
	if code != 1 || !strings.Contains(out, "no --https name recorded") {
		t.Fatalf("hosts before the name is known: exit %d\n%s", code, out)
	}
	if err := writeHTTPSName(dir, testHTTPSName); err != nil {
		t.Fatal(err)
	}
	code, out = runWith(e, "hosts", "--dir", dir)
	if code != 0 || !strings.Contains(out, "added `"+ourLine+"`") {
		t.Fatalf("hosts: exit %d\n%s", code, out)
	}
	if got, want := fileText(t, hosts), "# mine\r\n10.0.0.5 nas\r\n"+ourLine+"\r\n"; got != want {
		t.Errorf("hosts file %q, want %q", got, want)
	}
	code, out = runWith(e, "hosts", "--dir", dir)
	if code != 0 || !strings.Contains(out, "already resolves to 127.0.0.1") {
		t.Errorf("hosts again: exit %d\n%s", code, out)
	}
	code, out = runWith(e, "hosts", "--dir", dir, "--remove")
	if code != 0 || !strings.Contains(out, "removed `"+ourLine+"`") {
		t.Errorf("hosts --remove: exit %d\n%s", code, out)
	}
	if got := fileText(t, hosts); got != "# mine\r\n10.0.0.5 nas\r\n" {
		t.Errorf("hosts file after --remove: %q", got)
	}
}

func TestHostsCommandFindsTheInstalledService(t *testing.T) {
	dir := t.TempDir()
	writeHTTPSName(dir, testHTTPSName)
	hosts := tempHosts(t, "")
	e := env{goos: "linux", hostsPath: hosts, services: oneService(false, installers.StatusRunning,
		installers.Installed{Arguments: []string{"-dir", dir, "-https", "ai"}})}
	if code, out := runWith(e, "hosts"); code != 0 || !strings.Contains(fileText(t, hosts), ourLine) {
		t.Errorf("hosts with an installed service: exit %d\n%s\nhosts file: %q", code, out, fileText(t, hosts))
	}
}

func TestMapAfterInstall(t *testing.T) {
	t.Run("device ran before", func(t *testing.T) {
		dir := t.TempDir()
		writeHTTPSName(dir, testHTTPSName)
		hosts := tempHosts(t, "")
		var out bytes.Buffer
		mapAfterInstall(&out, dir, hosts, 0, "ts-unplug hosts")
		if fileText(t, hosts) != ourLine+"\n" || !strings.Contains(out.String(), "added") {
			t.Errorf("out %q, hosts %q", out.String(), fileText(t, hosts))
		}
	})
	t.Run("name learned while waiting", func(t *testing.T) {
		dir := t.TempDir()
		hosts := tempHosts(t, "")
		go func() {
			time.Sleep(100 * time.Millisecond)
			writeHTTPSName(dir, testHTTPSName)
		}()
		var out bytes.Buffer
		mapAfterInstall(&out, dir, hosts, 10*time.Second, "ts-unplug hosts")
		if fileText(t, hosts) != ourLine+"\n" {
			t.Errorf("out %q, hosts %q", out.String(), fileText(t, hosts))
		}
	})
	t.Run("device not up", func(t *testing.T) {
		hosts := tempHosts(t, "")
		var out bytes.Buffer
		mapAfterInstall(&out, t.TempDir(), hosts, 0, "ts-unplug hosts")
		if !strings.Contains(out.String(), "then run `sudo ts-unplug hosts`") || fileText(t, hosts) != "" {
			t.Errorf("out %q, hosts %q", out.String(), fileText(t, hosts))
		}
	})
}

func TestUninstallRemovesOnlyItsOwnHostsLine(t *testing.T) {
	dir := t.TempDir()
	writeHTTPSName(dir, testHTTPSName)
	before := "127.0.0.1 localhost\n" + ourLine + "\n127.0.0.1 other.example.ts.net # ts-unplug\n127.0.0.1 " + testHTTPSName + " mine\n"
	for _, tt := range []struct {
		name  string
		args  []string
		after string
	}{
		{"https service", []string{"-dir", dir, "-https", "ai"},
			"127.0.0.1 localhost\n127.0.0.1 other.example.ts.net # ts-unplug\n127.0.0.1 " + testHTTPSName + " mine\n"},
		{"https-port service", []string{"-dir", dir, "--https-port=8443", "ai"},
			"127.0.0.1 localhost\n127.0.0.1 other.example.ts.net # ts-unplug\n127.0.0.1 " + testHTTPSName + " mine\n"},
		{"service without https keeps a foreground run's mapping", []string{"-dir", dir, "ai"}, before},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hosts := tempHosts(t, before)
			e := env{goos: "linux", hostsPath: hosts, services: oneService(false, installers.StatusRunning,
				installers.Installed{Arguments: tt.args})}
			code, out := runWith(e, "uninstall")
			if code != 0 {
				t.Fatalf("uninstall: exit %d\n%s", code, out)
			}
			if got := fileText(t, hosts); got != tt.after {
				t.Errorf("hosts file after uninstall:\n%s\nwant\n%s", got, tt.after)
			}
			if removed := tt.after != before; removed != strings.Contains(out, "removed `"+ourLine+"`") {
				t.Errorf("output does not match what was removed:\n%s", out)
			}
		})
	}
}

func TestParseHTTPS(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		listen string // "" means a usage error
	}{
		{[]string{"ai"}, ""},
		{[]string{"--https", "ai"}, "127.0.0.1:9443"},
		{[]string{"--https-port", "8443", "ai"}, "127.0.0.1:8443"},
		{[]string{"--https", "--listen", "0.0.0.0", "ai"}, "127.0.0.1:9443"},
		{[]string{"--https", "--mode", "tcp", "db:5432"}, "error"},
		{[]string{"--https-port", "9996", "ai"}, "error"},
		{[]string{"--https-port", "70000", "ai"}, "error"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got options
			var perr error
			app := newApp("test", &bytes.Buffer{}, &bytes.Buffer{})
			app.Action = func(c *cli.Context) error {
				got, perr = parseOptions(c, true)
				return nil
			}
			app.Run(append([]string{"ts-unplug", "--dir", t.TempDir()}, tt.args...))
			switch {
			case tt.listen == "error" && perr == nil:
				t.Errorf("no usage error; https listen %q", got.httpsListen)
			case tt.listen != "error" && perr != nil:
				t.Errorf("error %v", perr)
			case tt.listen != "error" && got.httpsListen != tt.listen:
				t.Errorf("https listen %q, want %q", got.httpsListen, tt.listen)
			}
		})
	}
}

func TestHTTPSStatusLine(t *testing.T) {
	mapped := tempHosts(t, ourLine+"\n")
	unmapped := tempHosts(t, "")
	elsewhere := tempHosts(t, "100.64.0.9 "+testHTTPSName+"\n")
	r := statusReport{HTTPS: "https://" + testHTTPSName + ":9443", HTTPSListen: "127.0.0.1:9443"}
	for _, tt := range []struct {
		name  string
		r     statusReport
		hosts string
		want  string
	}{
		{"mapped", r, mapped, "https://" + testHTTPSName + ":9443 (on 127.0.0.1:9443); " + mapped + " maps the name to 127.0.0.1"},
		{"not mapped", r, unmapped, "the name does not resolve here yet: run `sudo ts-unplug hosts`"},
		{"mapped elsewhere", r, elsewhere, "line 1 sends the name to 100.64.0.9, not here"},
		{"the instance's own hosts file", statusReport{HTTPS: r.HTTPS, HTTPSListen: r.HTTPSListen, HostsFile: mapped}, unmapped,
			mapped + " maps the name to 127.0.0.1"},
		{"not up", statusReport{HTTPSListen: "127.0.0.1:9443", HTTPSProblem: errNoCertDomains.Error()}, mapped,
			"127.0.0.1:9443, not serving yet: the tailnet issues no HTTPS certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsStatusLine(tt.r, tt.hosts, "ts-unplug hosts"); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
