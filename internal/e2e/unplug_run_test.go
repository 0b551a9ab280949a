package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
	"github.com/tsplug/ts-plug/tunnel/unplug"
)

// fakeToolEnv makes this test binary act as a coding agent (see
// TestRunFakeTool) when ts-unplug run starts it under a tool's name.
const fakeToolEnv = "TSPLUG_E2E_FAKE_TOOL"

// fakeToolResult is the line a fake tool prints.
type fakeToolResult struct {
	Tool   string
	PID    int
	Status int
	Body   string
	Err    string
}

// TestRunFakeTool is not a test: it is the coding agent that `ts-unplug
// run` starts in TestUnplugRunTools, reading its settings the way the real
// tool does and making one request with them. It prints a
// fakeToolResult and exits 3, so the test sees the tool's status come
// back; with the argument wait-signal it exits 42 on SIGINT instead.
func TestRunFakeTool(t *testing.T) {
	if os.Getenv(fakeToolEnv) != "1" {
		t.Skip("only run by TestUnplugRunTools, as a tool")
	}
	args := flag.Args()
	tool, args := args[0], args[1:]
	if len(args) > 0 && args[len(args)-1] == "wait-signal" {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		fmt.Printf("ready pid=%d\n", os.Getpid())
		<-c
		os.Exit(42)
	}
	res := fakeToolResult{Tool: tool, PID: os.Getpid()}
	req, err := fakeToolRequest(tool, args)
	if err == nil {
		var r *http.Response
		if r, err = http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			res.Status, res.Body = r.StatusCode, string(b)
		}
	}
	if err != nil {
		res.Err = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(res)
	os.Exit(3)
}

// fakeToolRequest is the request tool makes with what ts-unplug gave it:
// the same variables, -c overrides and inline config the real one reads.
func fakeToolRequest(tool string, args []string) (*http.Request, error) {
	post := func(u, body string, header ...string) (*http.Request, error) {
		req, err := http.NewRequest("POST", u, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return req, nil
	}
	switch tool {
	case "claude":
		if k, ok := os.LookupEnv("ANTHROPIC_API_KEY"); ok {
			return nil, fmt.Errorf("ANTHROPIC_API_KEY reached the tool: %q", k)
		}
		return post(os.Getenv("ANTHROPIC_BASE_URL")+"/v1/messages",
			`{"model":"claude-haiku-4-5-20251001","max_tokens":16,"messages":[{"role":"user","content":"respond with: hello"}]}`,
			"Authorization", "Bearer "+os.Getenv("ANTHROPIC_AUTH_TOKEN"), "anthropic-version", "2023-06-01")
	case "codex":
		all := strings.Join(args, "\n")
		if !strings.Contains(all, `model_provider="ts-unplug"`) {
			return nil, fmt.Errorf("no model_provider override in %q", args)
		}
		base := regexp.MustCompile(`base_url="([^"]+)"`).FindStringSubmatch(all)
		key := regexp.MustCompile(`env_key="([^"]+)"`).FindStringSubmatch(all)
		if base == nil || key == nil || !strings.Contains(all, `wire_api="responses"`) {
			return nil, fmt.Errorf("no Responses provider with base_url and env_key in %q", args)
		}
		return post(base[1]+"/responses", `{"model":"gpt-4o","input":"respond with: hello"}`,
			"Authorization", "Bearer "+os.Getenv(key[1]))
	case "gemini":
		// 0.61 refuses to run unless settings select this auth type.
		b, err := os.ReadFile(os.Getenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH"))
		var settings struct {
			Security struct{ Auth struct{ SelectedType string } }
		}
		if err != nil || json.Unmarshal(b, &settings) != nil || settings.Security.Auth.SelectedType != "gemini-api-key" {
			return nil, fmt.Errorf("no system settings selecting gemini-api-key (%v): %s", err, b)
		}
		return post(os.Getenv("GOOGLE_GEMINI_BASE_URL")+"/v1beta/models/gemini-2.5-flash:generateContent",
			`{"contents":[{"role":"user","parts":[{"text":"respond with: hello"}]}]}`,
			"x-goog-api-key", os.Getenv("GEMINI_API_KEY"))
	case "opencode":
		var cfg struct {
			Provider map[string]struct {
				Options struct{ BaseURL, APIKey string }
				Models  map[string]any
			}
		}
		if err := json.Unmarshal([]byte(os.Getenv("OPENCODE_CONFIG_CONTENT")), &cfg); err != nil {
			return nil, fmt.Errorf("OPENCODE_CONFIG_CONTENT: %v", err)
		}
		p, ok := cfg.Provider["ts-unplug"]
		if _, listed := p.Models["gpt-4o"]; !ok || !listed {
			return nil, fmt.Errorf("no ts-unplug provider listing gpt-4o: %s", os.Getenv("OPENCODE_CONFIG_CONTENT"))
		}
		return post(p.Options.BaseURL+"/chat/completions",
			`{"model":"gpt-4o","messages":[{"role":"user","content":"respond with: hello"}]}`,
			"Authorization", "Bearer "+p.Options.APIKey)
	}
	return nil, fmt.Errorf("unknown tool %q", tool)
}

// TestUnplugRunTools starts each known tool with `ts-unplug run` through a
// real ts-unplug and gateway on the offline tailnet: the tool's request
// is answered with the provider's key injected, neither the placeholder
// nor a real key of the user's reaches the provider, the tool is the
// process (same pid, its exit status, its signals), and no file in HOME
// changes (ts-unplug's own cache directory aside).
func TestUnplugRunTools(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake tools are sh scripts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e := startGateway(t, ctx, "")
	e.grantEveryone(t, ctx)
	bin := testbin.Build(t, "ts-unplug")
	u, _ := url.Parse(e.base)
	port := u.Port()

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tools := t.TempDir()
	for _, name := range []string{"claude", "codex", "gemini", "opencode"} {
		script := fmt.Sprintf("#!/bin/sh\nexec '%s' -test.run='^TestRunFakeTool$' -- %s \"$@\"\n", self, name)
		if err := os.WriteFile(filepath.Join(tools, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	codexConfig := filepath.Join(home, ".codex", "config.toml")
	os.MkdirAll(filepath.Dir(codexConfig), 0o700)
	os.WriteFile(codexConfig, []byte("model = \"o3\"\n[model_providers.mine]\nbase_url = \"https://example.com/v1\"\n"), 0o600)
	before := homeFiles(t, home)
	env := append(os.Environ(), "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), fakeToolEnv+"=1",
		"ANTHROPIC_API_KEY=sk-ant-CLIENT-SECRET", "OPENAI_API_KEY=sk-CLIENT-SECRET")

	runTool := func(t *testing.T, args ...string) (int, fakeToolResult, string, int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		var res fakeToolResult
		json.Unmarshal(stdout.Bytes(), &res)
		return cmd.ProcessState.ExitCode(), res, stdout.String() + stderr.String(), cmd.Process.Pid
	}

	for _, tc := range []struct{ tool, header, key string }{
		{"claude", "x-api-key", "sk-ant-PROVIDER"},
		{"codex", "Authorization", "Bearer sk-openai-PROVIDER"},
		{"gemini", "x-goog-api-key", "gemini-PROVIDER"},
		{"opencode", "Authorization", "Bearer sk-openai-PROVIDER"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			n := e.fake.RequestCount()
			code, res, out, pid := runTool(t, "run", "--port", port, "--", tc.tool)
			if code != 3 || res.Status != 200 || !strings.Contains(res.Body, "hello") {
				t.Fatalf("exit %d (want the tool's 3), the tool got %d %s %s\n%s", code, res.Status, res.Body, res.Err, out)
			}
			if res.PID != pid {
				t.Errorf("the tool ran as pid %d, ts-unplug as %d: it is not the process the shell started", res.PID, pid)
			}
			if e.fake.RequestCount() != n+1 {
				t.Fatalf("the provider got %d requests, want 1", e.fake.RequestCount()-n)
			}
			e.checkKeys(t, tc.header, tc.key)
			req, _ := e.fake.LastRequest()
			for k, vs := range req.Header {
				for _, v := range vs {
					if strings.Contains(v, unplug.PlaceholderKey) {
						t.Errorf("the placeholder reached the provider in %s", k)
					}
				}
			}
		})
	}

	t.Run("port from the running instance", func(t *testing.T) {
		base2, _, dir := startUnplug(t, e.tn, "laptop-run", "ai")
		waitHTTP(ctx, t, base2+"/api/whoami", 200).Body.Close()
		code, res, out, _ := runTool(t, "run", "--dir", dir, "--", "claude")
		u2, _ := url.Parse(base2)
		if code != 3 || res.Status != 200 || !strings.Contains(out, "http://localhost:"+u2.Port()) {
			t.Errorf("run --dir: exit %d, tool got %d %s; want the instance's port %s\n%s", code, res.Status, res.Err, u2.Port(), out)
		}
	})

	t.Run("signals reach the tool", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, "run", "-q", "--port", port, "--", "claude", "wait-signal")
		cmd.Env = env
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if !strings.HasPrefix(line, "ready") {
			cmd.Process.Kill()
			t.Fatalf("the tool said %q", line)
		}
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 42 {
			t.Errorf("after SIGINT: exit %d, want the tool's 42", code)
		}
	})

	t.Run("ts-unplug not running", func(t *testing.T) {
		code, _, out, _ := runTool(t, "run", "--port", freePort(t), "--", "claude")
		if code != 1 || !strings.Contains(out, "Start ts-unplug first") || strings.Contains(out, `"Tool"`) {
			t.Errorf("exit %d, want 1 with how to start ts-unplug and no tool run\n%s", code, out)
		}
	})

	if after := homeFiles(t, home); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("HOME changed:\nbefore %v\nafter  %v", before, after)
	}
}

// homeFiles is every file under dir with its bytes, but ts-unplug's own
// cache directory (Gemini CLI's settings file).
func homeFiles(t *testing.T, dir string) map[string]string {
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
