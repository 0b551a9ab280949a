package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// commands are the binaries a release ships, each a directory under cmd/.
var commands = []string{"ts-unplug", "aperture", "ts-plug"}

// platforms are the os/arch pairs a release ships.
var platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

var buildLine = regexp.MustCompile(`^CGO_ENABLED=0 GOOS=(\S+) GOARCH=(\S+) \S+ build -trimpath -ldflags '([^']*)' -o (\S+) \./cmd/(\S+)$`)

// dryRunDist returns what `make -n dist` would run, one command a line.
func dryRunDist(t *testing.T, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", append([]string{"-s", "-n", "dist"}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n dist: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// distFile is the name make dist gives cmd built for platform.
func distFile(cmd, platform string) string {
	name := cmd + "-" + strings.ReplaceAll(platform, "/", "-")
	if strings.HasPrefix(platform, "windows/") {
		name += ".exe"
	}
	return name
}

// TestDistBuildsEveryCommandForEveryPlatform reads `make -n dist`: one
// pure-Go build per command and platform, stamped with the version, and
// a SHA256SUMS of exactly those files. Building them all is slow (a cold
// cross build of tailscale.com per platform), so this checks the plan.
func TestDistBuildsEveryCommandForEveryPlatform(t *testing.T) {
	lines := dryRunDist(t, "VERSION=v9.9.9-test")
	var want, got []string
	for _, p := range platforms {
		for _, c := range commands {
			want = append(want, distFile(c, p))
		}
	}
	var sums string
	for _, l := range lines {
		if strings.Contains(l, "> SHA256SUMS") {
			sums = l
			continue
		}
		m := buildLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		goos, goarch, ldflags, out, cmd := m[1], m[2], m[3], m[4], m[5]
		if out != filepath.ToSlash(filepath.Join("build", "dist", distFile(cmd, goos+"/"+goarch))) {
			t.Errorf("%s/%s %s is written to %s", goos, goarch, cmd, out)
		}
		if !strings.Contains(ldflags, "-X main.version=v9.9.9-test") {
			t.Errorf("%s: ldflags %q do not stamp the version", out, ldflags)
		}
		if _, err := os.Stat(filepath.Join("..", "..", "cmd", cmd, "main.go")); err != nil {
			t.Errorf("%s: no command ./cmd/%s: %v", out, cmd, err)
		}
		got = append(got, filepath.Base(out))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("make dist builds\n  %v\nwant\n  %v\n(make -n output:\n%s)", got, want, strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(sums, "cd build/dist && ") || !strings.HasSuffix(sums, "> SHA256SUMS") {
		t.Fatalf("no checksum step in make -n dist: %q", sums)
	}
	for _, f := range want {
		if !strings.Contains(sums, " "+f+" ") {
			t.Errorf("SHA256SUMS leaves out %s: %q", f, sums)
		}
	}
}

// TestDistOnePlatform checks that DIST_PLATFORMS narrows the build.
func TestDistOnePlatform(t *testing.T) {
	var builds []string
	for _, l := range dryRunDist(t, "DIST_PLATFORMS=linux/arm64") {
		if m := buildLine.FindStringSubmatch(l); m != nil {
			builds = append(builds, filepath.Base(m[4]))
		}
	}
	want := []string{"aperture-linux-arm64", "ts-plug-linux-arm64", "ts-unplug-linux-arm64"}
	slices.Sort(builds)
	if !slices.Equal(builds, want) {
		t.Errorf("make dist DIST_PLATFORMS=linux/arm64 builds %v, want %v", builds, want)
	}
}
