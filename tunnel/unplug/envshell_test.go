package unplug

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestDefaultShell(t *testing.T) {
	tests := []struct{ shell, goos, want string }{
		{"/bin/bash", "linux", "sh"},
		{"/usr/bin/zsh", "darwin", "sh"},
		{"/opt/homebrew/bin/fish", "darwin", "fish"},
		{"/usr/bin/pwsh", "linux", "powershell"},
		{"", "windows", "powershell"},
		{"", "linux", "sh"},
	}
	for _, tt := range tests {
		getenv := func(k string) string {
			if k == "SHELL" {
				return tt.shell
			}
			return ""
		}
		if got := defaultShell(getenv, tt.goos); got != tt.want {
			t.Errorf("SHELL=%q on %s: %s, want %s", tt.shell, tt.goos, got, tt.want)
		}
	}
}

func TestQuoting(t *testing.T) {
	tests := []struct{ in, sh, fish, ps string }{
		{"http://localhost:9996", "http://localhost:9996", `'http://localhost:9996'`, `'http://localhost:9996'`},
		{`{"a":"b c"}`, `'{"a":"b c"}'`, `'{"a":"b c"}'`, `'{"a":"b c"}'`},
		{`it's \ here`, `'it'\''s \ here'`, `'it\'s \\ here'`, `'it''s \ here'`},
		{"", "''", "''", "''"},
	}
	for _, tt := range tests {
		if got := shQuote(tt.in); got != tt.sh {
			t.Errorf("shQuote(%q) = %s, want %s", tt.in, got, tt.sh)
		}
		if got := fishQuote(tt.in); got != tt.fish {
			t.Errorf("fishQuote(%q) = %s, want %s", tt.in, got, tt.fish)
		}
		if got := psQuote(tt.in); got != tt.ps {
			t.Errorf("psQuote(%q) = %s, want %s", tt.in, got, tt.ps)
		}
	}
}

// What `ts-unplug env` prints for sh really sets the variables and makes
// `codex` add its overrides, as a shell evaluating it sees them.
func TestShellLinesEvaluate(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here")
	}
	var out bytes.Buffer
	g := testInfo("http://localhost:9996")
	g.Models = []gatewayModel{{ID: "it's-a-model"}}
	for _, tool := range knownTools {
		s, err := tool.Setup(g)
		if err != nil {
			t.Fatal(err)
		}
		writeShell(&out, "sh", tool, s)
	}
	// command codex → a stand-in that prints its arguments, one a line.
	script := out.String() + `
command() { shift; printf '%s\n' "$@"; }
printf '%s\n' "$ANTHROPIC_BASE_URL" "${ANTHROPIC_API_KEY-unset}" "$GEMINI_API_KEY" "$OPENCODE_CONFIG_CONTENT"
codex exec "say hi"
`
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{"ANTHROPIC_API_KEY=sk-ant-REAL", "PATH=/usr/bin:/bin"}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s\nscript:\n%s", err, got, script)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	opencode, _ := opencodeSetup(g)
	want := []string{"http://localhost:9996", "unset", PlaceholderKey, opencode.Set[0].Value}
	codex, _ := codexSetup(g)
	want = append(append(want, codex.Args...), "exec", "say hi")
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("sh saw:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
