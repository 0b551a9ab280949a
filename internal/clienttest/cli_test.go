package clienttest

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
)

// cliTimeout bounds one run of a CLI.
const cliTimeout = 2 * time.Minute

// usage is what the fake reports; distinct numbers so the ledger check
// cannot pass by accident.
var usage = fakellm.Usage{InputTokens: 1234, OutputTokens: 56, CachedTokens: 789}

// cliPaths are the npm-installed CLIs (package.json), by name. OpenCode
// comes as its Linux x64 binary package rather than opencode-ai, whose
// other platforms' packages the npm registry CI uses lacks, so that
// `npm ci` would refuse its lock; elsewhere the package is skipped as
// optional and so is the OpenCode test.
var cliPaths = map[string]string{
	"claude":   "node_modules/.bin/claude",
	"codex":    "node_modules/.bin/codex",
	"gemini":   "node_modules/.bin/gemini",
	"opencode": "node_modules/opencode-linux-x64/bin/opencode",
}

// clis finds the npm-installed CLIs by bin name, or skips (fails under
// CI=true).
func clis(t *testing.T) map[string]string {
	t.Helper()
	var missing []string
	found := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(cliPaths)) {
		p, err := filepath.Abs(filepath.FromSlash(cliPaths[name]))
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			missing = append(missing, name)
		}
		found[name] = p
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (the codex and gemini launchers are node scripts)")
	}
	if len(missing) > 0 {
		msg := "client CLIs not installed: " + strings.Join(missing, ", ") + " (run npm ci in internal/clienttest)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return found
}

// cliEnv is a minimal environment for a CLI: no inherited keys, proxies
// or config, a private HOME, and extra.
func cliEnv(home string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + os.TempDir(),
		"TERM=dumb",
		"NO_PROXY=127.0.0.1,localhost",
	}
	return append(env, extra...)
}

// run runs a CLI with a timeout in a fresh working directory and returns
// its stdout; it fails the test, showing both outputs, on a non-zero exit.
func run(ctx context.Context, t *testing.T, env []string, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s ran %v", filepath.Base(bin), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// newRequests is what the fake received since it had seen n requests.
func newRequests(fake *fakellm.Server, n int) []fakellm.Request {
	all := fake.Requests()
	return all[min(n, len(all)):]
}

// checkUpstream asserts every request the fake received on path carried
// the provider key in header and nothing of the client's token, and
// returns them.
func checkUpstream(t *testing.T, reqs []fakellm.Request, path, header, want string) []fakellm.Request {
	t.Helper()
	var out []fakellm.Request
	for _, r := range reqs {
		if r.Path != path {
			t.Errorf("the provider got an unexpected %s %s", r.Method, r.Path)
			continue
		}
		out = append(out, r)
		if got := r.Header.Get(header); got != want {
			t.Errorf("the provider saw %s = %q, want the provider key %q", header, got, want)
		}
		if q := r.RawQuery; strings.Contains(q, "key=") {
			t.Errorf("the provider got a key in the query: %q", q)
		}
		for _, name := range []string{"Authorization", "X-Api-Key", "X-Goog-Api-Key"} {
			if v := r.Header.Get(name); name != header && v != "" {
				t.Errorf("the provider saw the client's %s: %q", name, v)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("the provider received no %s request", path)
	}
	return out
}

// checkRows asserts the ledger rows of a session metered the fake's usage
// for model.
func checkRows(t *testing.T, rows []ledgerRow, provider, model, api string) {
	t.Helper()
	for _, r := range rows {
		if r.Provider != provider || r.Model != model || r.API != api || r.Status != 200 || !r.Stream {
			t.Errorf("ledger row %+v, want a streamed %s %s %s 200", r, provider, api, model)
		}
		if r.InputTokens != usage.InputTokens || r.OutputTokens != usage.OutputTokens || r.CachedTokens != usage.CachedTokens {
			t.Errorf("ledger row tokens in/out/cached = %d/%d/%d, want the fake's %d/%d/%d",
				r.InputTokens, r.OutputTokens, r.CachedTokens, usage.InputTokens, usage.OutputTokens, usage.CachedTokens)
		}
		if r.Cost == nil || *r.Cost <= 0 {
			t.Errorf("ledger row has no cost: %v", r.Cost)
		}
		if !strings.HasPrefix(r.Node, "laptop") {
			t.Errorf("ledger row attributed to node %q, want ts-unplug's laptop", r.Node)
		}
	}
}

func TestCLIsThroughUnplug(t *testing.T) {
	bin := clis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	e := startGateway(ctx, t, usage)
	tp := startTap(t, e.base)

	t.Run("claude code", func(t *testing.T) { testClaude(ctx, t, e, tp, bin["claude"]) })
	t.Run("codex", func(t *testing.T) { testCodex(ctx, t, e, tp, bin["codex"]) })
	t.Run("gemini cli", func(t *testing.T) { testGemini(ctx, t, e, tp, bin["gemini"]) })
	t.Run("opencode", func(t *testing.T) { testOpenCode(ctx, t, e, tp, bin["opencode"]) })
}

// Headers the gateway may change on the way to the provider: the client's
// credentials (replaced by the provider key), hop-by-hop headers, and
// the encodings it negotiates itself with the provider.
var mayChange = map[string]bool{"Authorization": true, "X-Api-Key": true, "X-Goog-Api-Key": true, "Connection": true,
	"Accept-Encoding": true, "Content-Length": true}

// checkForwarded asserts the provider got exactly what the CLI sent: the
// same path and query, byte-identical body, every header but the
// credentials and hop-by-hop ones, and nothing added but keyHeader.
func checkForwarded(t *testing.T, sentReqs []sent, got []fakellm.Request, keyHeader string) {
	t.Helper()
	if len(sentReqs) != len(got) {
		t.Fatalf("the CLI sent %d requests, the provider got %d", len(sentReqs), len(got))
	}
	for i, s := range sentReqs {
		g := got[i]
		if g.Path != s.Path || g.RawQuery != s.RawQuery {
			t.Errorf("the CLI sent %s?%s, the provider got %s?%s", s.Path, s.RawQuery, g.Path, g.RawQuery)
		}
		if !bytes.Equal(s.Body, g.Body) || g.BodyTruncated {
			t.Errorf("%s: the body changed on the way (%d bytes sent, %d received)", s.Path, len(s.Body), g.BodySize)
		}
		for k, v := range s.Header {
			if mayChange[k] {
				continue
			}
			if gv := g.Header.Values(k); strings.Join(gv, "\n") != strings.Join(v, "\n") {
				t.Errorf("%s: the client's header %s: %q reached the provider as %q", s.Path, k, v, gv)
			}
		}
		for k, v := range g.Header {
			if _, ok := s.Header[k]; !ok && k != keyHeader && k != "Accept-Encoding" {
				t.Errorf("%s: the gateway added header %s: %q", s.Path, k, v)
			}
		}
	}
}
