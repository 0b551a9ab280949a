package unplug

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// shells are the syntaxes `ts-unplug env --shell` prints.
var shells = []string{"sh", "fish", "powershell"}

// defaultShell guesses the user's shell: fish and PowerShell need their
// own syntax, every other Unix shell takes sh's.
func defaultShell(getenv func(string) string, goos string) string {
	switch base := filepath.Base(getenv("SHELL")); {
	case base == "fish":
		return "fish"
	case base == "pwsh" || base == "powershell":
		return "powershell"
	case getenv("SHELL") == "" && goos == "windows":
		return "powershell"
	}
	return "sh"
}

// writeShell prints setup for tool t in shell's syntax. Codex reads no
// base URL from the environment, so it gets a shell function that adds
// its -c overrides; the others get plain exports.
func writeShell(w io.Writer, shell string, t knownTool, s toolSetup) {
	fmt.Fprintf(w, "# %s (%s)\n", t.About, t.Name)
	for _, n := range s.Unset {
		switch shell {
		case "fish":
			fmt.Fprintf(w, "set -e %s\n", n)
		case "powershell":
			fmt.Fprintf(w, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", n)
		default:
			fmt.Fprintf(w, "unset %s\n", n)
		}
	}
	for _, v := range s.Set {
		switch shell {
		case "fish":
			fmt.Fprintf(w, "set -gx %s %s\n", v.Name, fishQuote(v.Value))
		case "powershell":
			fmt.Fprintf(w, "$env:%s = %s\n", v.Name, psQuote(v.Value))
		default:
			fmt.Fprintf(w, "export %s=%s\n", v.Name, shQuote(v.Value))
		}
	}
	if len(s.Args) == 0 {
		return
	}
	var args []string
	for _, a := range s.Args {
		switch shell {
		case "fish":
			args = append(args, fishQuote(a))
		case "powershell":
			args = append(args, psQuote(a))
		default:
			args = append(args, shQuote(a))
		}
	}
	switch shell {
	case "fish":
		fmt.Fprintf(w, "function %s; command %s %s $argv; end\n", t.Name, t.Name, strings.Join(args, " "))
	case "powershell":
		// Calling the application, not this function, by its path.
		fmt.Fprintf(w, "function %s { & (Get-Command %s -CommandType Application | Select-Object -First 1).Source %s @args }\n",
			t.Name, t.Name, strings.Join(args, " "))
	default:
		fmt.Fprintf(w, "%s() { command %s %s \"$@\"; }\n", t.Name, t.Name, strings.Join(args, " "))
	}
}

// shQuote is s in POSIX single quotes (bare when it needs none, to keep
// the printed lines readable).
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote is s in fish's single quotes, where \ and ' are escaped.
func fishQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// psQuote is s in PowerShell's verbatim single quotes.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// systemShell is defaultShell for this process.
func systemShell() string { return defaultShell(os.Getenv, runtime.GOOS) }
