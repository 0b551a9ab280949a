package unplug

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsplug/ts-plug/installers"
	"github.com/tsplug/ts-plug/installers/servicecmd/servicecmdtest"
	"github.com/tsplug/ts-plug/tunnel"
	"github.com/urfave/cli/v2"
)

// launch is one call of execTool.
type launch struct {
	path string
	argv []string
	env  map[string]string
}

// fakeExec replaces execTool for the test; the tool "exits" with code.
func fakeExec(t *testing.T, code int) *[]launch {
	t.Helper()
	var calls []launch
	old := execTool
	execTool = func(path string, argv, env []string) error {
		l := launch{path: path, argv: argv, env: map[string]string{}}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			l.env[k] = v
		}
		calls = append(calls, l)
		if code != 0 {
			return cli.Exit("", code)
		}
		return nil
	}
	t.Cleanup(func() { execTool = old })
	return &calls
}

// fakeGateway stands in for ts-unplug's port: whoami answers status with
// body, and /v1/models lists gpt-4o.
func fakeGateway(t *testing.T, status int, body string) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/whoami":
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"gpt-4o","supported_endpoints":["/v1/chat/completions"]}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

// userHome is a temp HOME holding the user's own tool configs, and a PATH
// dir holding the tools (empty executables: execTool is faked).
func userHome(t *testing.T) (home string) {
	t.Helper()
	home = t.TempDir()
	files := map[string]string{
		".codex/config.toml":                "model = \"o3\"\n[model_providers.mine]\nbase_url = \"https://example.com/v1\"\n",
		".codex/auth.json":                  `{"OPENAI_API_KEY":"sk-REAL"}`,
		".claude/settings.json":             `{"env":{"FOO":"bar"}}`,
		".gemini/settings.json":             `{"security":{"auth":{"selectedType":"oauth-personal"}}}`,
		".config/opencode/opencode.json":    `{"model":"anthropic/claude-sonnet-4-5"}`,
		".config/ts-unplug/.keep-this-file": "",
	}
	for name, content := range files {
		p := filepath.Join(home, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	for _, tool := range knownTools {
		os.WriteFile(filepath.Join(bin, tool.Name), []byte("#!/bin/sh\n"), 0o755)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", "")
	t.Setenv("PATH", bin)
	return home
}

// snapshot is every file under dir with its bytes, but ts-unplug's own
// (its cache directory, for the Gemini CLI settings file).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	own := filepath.Join(dir, ".cache", "ts-unplug")
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p == own {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

func noServices() env { return env{services: &servicecmdtest.Fake{}, goos: "linux"} }

// `run -- TOOL` hands TOOL its settings and the user's arguments, and
// writes nothing: the HOME with the user's configs is byte-identical.
func TestRunStartsEachToolWithoutTouchingHome(t *testing.T) {
	home := userHome(t)
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-REAL")
	t.Setenv("OPENAI_API_KEY", "sk-REAL")
	port := fakeGateway(t, 200, `{"principal":"alice@example.com","role":"user"}`)
	base := "http://localhost:" + port
	before := snapshot(t, home)
	tests := []struct {
		tool     string
		args     []string
		wantArgv []string
		wantEnv  map[string]string
	}{
		{"claude", []string{"-p", "hi"}, []string{"claude", "-p", "hi"},
			map[string]string{"ANTHROPIC_BASE_URL": base, "ANTHROPIC_AUTH_TOKEN": PlaceholderKey, "ANTHROPIC_API_KEY": ""}},
		{"codex", []string{"exec", "hi"}, []string{"codex", "-c", `model_provider="ts-unplug"`, "-c", "", "exec", "hi"},
			map[string]string{codexKeyEnv: PlaceholderKey}},
		{"gemini", []string{"-p", "hi"}, []string{"gemini", "-p", "hi"},
			map[string]string{"GOOGLE_GEMINI_BASE_URL": base, "GEMINI_API_KEY": PlaceholderKey,
				"GEMINI_CLI_SYSTEM_SETTINGS_PATH": filepath.Join(home, ".cache", "ts-unplug", "tools", "gemini-system-settings.json")}},
		{"opencode", []string{"run", "hi"}, []string{"opencode", "run", "hi"},
			map[string]string{"OPENCODE_CONFIG_CONTENT": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			calls := fakeExec(t, 0)
			code, out := runWith(noServices(), append([]string{"run", "--port", port, "--", tt.tool}, tt.args...)...)
			if code != 0 || len(*calls) != 1 {
				t.Fatalf("exit %d, %d launches\n%s", code, len(*calls), out)
			}
			l := (*calls)[0]
			if filepath.Base(l.path) != tt.tool || len(l.argv) != len(tt.wantArgv) {
				t.Fatalf("launched %s %q, want %q", l.path, l.argv, tt.wantArgv)
			}
			for i, a := range tt.wantArgv {
				if a != "" && l.argv[i] != a {
					t.Errorf("argv[%d] = %q, want %q", i, l.argv[i], a)
				}
			}
			for k, v := range tt.wantEnv {
				got, set := l.env[k]
				switch {
				case k == "ANTHROPIC_API_KEY" && set:
					t.Errorf("the user's real ANTHROPIC_API_KEY reached claude")
				case v != "" && got != v:
					t.Errorf("%s = %q, want %q", k, got, v)
				case v == "" && k != "ANTHROPIC_API_KEY" && !set:
					t.Errorf("%s not set", k)
				}
			}
			if tt.tool == "opencode" && !strings.Contains(l.env["OPENCODE_CONFIG_CONTENT"], `"gpt-4o"`) {
				t.Errorf("OpenCode's provider does not name the gateway's model: %s", l.env["OPENCODE_CONFIG_CONTENT"])
			}
			if p := l.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"]; p != "" {
				if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), `"selectedType": "gemini-api-key"`) {
					t.Errorf("Gemini CLI's settings file %s: %v %s", p, err, b)
				}
			}
			if !strings.Contains(out, "as alice@example.com") {
				t.Errorf("no line saying who the gateway sees:\n%s", out)
			}
		})
	}
	if after := snapshot(t, home); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("HOME changed:\nbefore %v\nafter  %v", before, after)
	}
}

// The tool's exit status is ts-unplug's.
func TestRunPassesTheExitStatus(t *testing.T) {
	userHome(t)
	port := fakeGateway(t, 200, `{}`)
	fakeExec(t, 7)
	if code, out := runWith(noServices(), "run", "-q", "--port", port, "--", "claude"); code != 7 || out != "" {
		t.Errorf("exit %d, want the tool's 7; output %q, want none with -q", code, out)
	}
}

// Before starting anything, run checks that ts-unplug answers, and says
// how to start it when it does not.
func TestRunChecksTsUnplugFirst(t *testing.T) {
	userHome(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closed, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	notReady := fakeGateway(t, 503, `{"error":{"message":"not logged in to the tailnet yet: run ts-unplug status -dir /x","type":"tailnet_not_ready"}}`)
	noRole := fakeGateway(t, 403, `{"error":{"message":"access denied: no role granted"}}`)
	tests := []struct {
		name, port string
		code       int
		launched   bool
		want       []string
	}{
		{"nothing listening", closed, 1, false, []string{"nothing answers at http://localhost:" + closed, "Start ts-unplug first", "--port"}},
		{"not logged in", notReady, 1, false, []string{"not ready", "503", "not logged in to the tailnet yet: run ts-unplug status -dir /x"}},
		{"no role yet", noRole, 0, true, []string{"warning", "403", "no role granted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := fakeExec(t, 0)
			code, out := runWith(noServices(), "run", "--port", tt.port, "--", "claude")
			if code != tt.code || (len(*calls) == 1) != tt.launched {
				t.Errorf("exit %d (want %d), launched %v (want %v)\n%s", code, tt.code, len(*calls) == 1, tt.launched, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	userHome(t)
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"run", "--port", "1", "--", "vim", "x"}, 2, []string{`"vim" is not a tool`, "claude, codex, gemini, opencode", "ts-unplug env"}},
		{[]string{"run"}, 2, []string{"which tool?"}},
		{[]string{"run", "--port", "0", "--", "claude"}, 2, []string{"--port 0"}},
		{[]string{"run", "--port", "1", "--", "./claude"}, 1, []string{"not on PATH", "npm install -g @anthropic-ai/claude-code"}},
		{[]string{"env", "--shell", "tcsh"}, 2, []string{"sh, fish, powershell"}},
		{[]string{"env", "vim"}, 2, []string{"claude, codex, gemini, opencode"}},
	}
	for _, tt := range tests {
		calls := fakeExec(t, 0)
		code, out := runWith(noServices(), tt.args...)
		if code != tt.code || len(*calls) != 0 {
			t.Errorf("%q: exit %d (want %d), %d launches\n%s", tt.args, code, tt.code, len(*calls), out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: output lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
}

// Without --port, run asks the running instance where it listens (any
// -port or -listen), through the status socket of its state directory:
// given by --dir, else the installed service's.
func TestRunFindsTheRunningInstancesPort(t *testing.T) {
	userHome(t)
	port := fakeGateway(t, 200, `{}`)
	dir := filepath.Join(t.TempDir(), "state")
	os.MkdirAll(dir, 0o700)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	report := statusReport{Mode: "http", Listen: "127.0.0.1:" + port}
	if err := tunnel.ServeStatus(ctx, filepath.Join(dir, tunnel.StatusSocketName), func() any { return report }); err != nil {
		t.Fatal(err)
	}
	service := env{goos: "linux", services: oneService(false, installers.StatusRunning,
		installers.Installed{Arguments: []string{"-dir", dir, "http://ai"}})}
	for name, tc := range map[string]struct {
		e    env
		args []string
	}{
		"--dir":             {noServices(), []string{"run", "--dir", dir, "--", "claude"}},
		"installed service": {service, []string{"run", "--", "claude"}},
	} {
		t.Run(name, func(t *testing.T) {
			calls := fakeExec(t, 0)
			code, out := runWith(tc.e, tc.args...)
			if code != 0 || len(*calls) != 1 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if got := (*calls)[0].env["ANTHROPIC_BASE_URL"]; got != "http://localhost:"+port {
				t.Errorf("ANTHROPIC_BASE_URL = %q, want the running instance's port %s", got, port)
			}
		})
	}
	// A service whose socket is another user's: its unit's -port.
	other := env{goos: "linux", services: oneService(false, installers.StatusRunning,
		installers.Installed{Arguments: []string{"-dir", "/nonexistent/state", "-port", "9123", "http://ai"}})}
	if c, o := runWith(other, "env", "--shell", "sh", "claude"); c != 0 || !strings.Contains(o, "ANTHROPIC_BASE_URL=http://localhost:9123") {
		t.Errorf("env with a service on -port 9123: exit %d\n%s", c, o)
	}
}

func TestBaseURL(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:9996": "http://localhost:9996",
		"localhost:9000": "http://localhost:9000",
		"0.0.0.0:9996":   "http://localhost:9996",
		"[::1]:9996":     "http://[::1]:9996",
		"10.0.0.5:9996":  "http://10.0.0.5:9996",
	} {
		if got := baseURL(listen); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", listen, got, want)
		}
	}
}

// `env` prints every tool's lines, or one tool's, in the shell asked for.
func TestEnvPrintsShellLines(t *testing.T) {
	userHome(t)
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"env", "--port", "9000", "--shell", "sh"},
			[]string{"export ANTHROPIC_BASE_URL=http://localhost:9000", "unset ANTHROPIC_API_KEY", "codex() { command codex",
				"export GOOGLE_GEMINI_BASE_URL=http://localhost:9000", "export OPENCODE_CONFIG_CONTENT="}, nil},
		{[]string{"env", "--port", "9000", "--shell", "fish", "gemini"},
			[]string{"set -gx GEMINI_API_KEY " + fishQuote(PlaceholderKey), "set -e GOOGLE_GENAI_USE_VERTEXAI"}, []string{"ANTHROPIC"}},
		{[]string{"env", "--port", "9000", "--shell", "powershell", "codex"},
			[]string{"$env:TS_UNPLUG_API_KEY = 'ts-unplug-placeholder'", "function codex {", "@args }"}, []string{"GEMINI"}},
	}
	for _, tt := range tests {
		code, out := runWith(noServices(), tt.args...)
		if code != 0 {
			t.Errorf("%q: exit %d\n%s", tt.args, code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: output lacks %q:\n%s", tt.args, w, out)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(out, w) {
				t.Errorf("%q: output has %q:\n%s", tt.args, w, out)
			}
		}
	}
}

// Claude Code applies ~/.claude/settings.json's "env" over the process
// environment, so a base URL or key there is warned of (and left alone).
func TestRunWarnsOfClaudeSettingsThatWin(t *testing.T) {
	home := userHome(t)
	settings := filepath.Join(home, ".claude", "settings.json")
	content := `{"env":{"ANTHROPIC_BASE_URL":"https://elsewhere.example.com","ANTHROPIC_API_KEY":"sk-ant-REAL","FOO":"bar"}}`
	os.WriteFile(settings, []byte(content), 0o600)
	port := fakeGateway(t, 200, `{}`)
	calls := fakeExec(t, 0)
	code, out := runWith(noServices(), "run", "--port", port, "--", "claude")
	if code != 0 || len(*calls) != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, name := range []string{"ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"} {
		if !strings.Contains(out, "sets "+name+` in "env"`) {
			t.Errorf("no warning about %s:\n%s", name, out)
		}
	}
	if strings.Contains(out, "FOO") {
		t.Errorf("warned of an unrelated variable:\n%s", out)
	}
	if b, _ := os.ReadFile(settings); string(b) != content {
		t.Errorf("settings.json changed: %s", b)
	}
}
