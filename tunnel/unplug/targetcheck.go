package unplug

import (
	"fmt"
	"strings"

	"github.com/tsplug/ts-plug/tunnel"
)

// usageLine is the one-line reminder printed with a bad TARGET.
const usageLine = "usage: ts-unplug [flags] TARGET, where TARGET is host[:port] or a URL (ai, ai.example.ts.net, http://ai:8080); " +
	"commands: install, uninstall, status, start, stop, restart; see ts-unplug --help"

// commandWords are ts-unplug's subcommands and the words people type
// expecting one. A bare TARGET spelled like one is a command that went
// wrong (ts-unplug has no help command; a typo is no subcommand), and
// must not start a device forwarding to http://help.
var commandWords = []string{
	"install", "uninstall", "status", "start", "stop", "restart", "run", "env", "hosts",
	"help", "version", "login", "logout", "up", "down",
}

// parseTarget reads the TARGET argument. It refuses what cannot be meant
// as a tailnet host: a command name or a near miss of one (when the word
// is bare: http://help still reaches a device named help), and anything
// tunnel.ParseTarget finds implausible (spaces, a leading '-', a path).
func parseTarget(arg string) (tunnel.Target, error) {
	if cmd, exact, ok := lookalikeCommand(arg); ok {
		what := fmt.Sprintf("TARGET %q is a command name, not a tailnet host", arg)
		if !exact {
			what = fmt.Sprintf("TARGET %q looks like the command %q mistyped, not a tailnet host", arg, cmd)
		}
		hint := fmt.Sprintf("did you mean `ts-unplug %s`?", cmd)
		if cmd == "help" || cmd == "version" {
			hint = fmt.Sprintf("did you mean `ts-unplug --%s`?", cmd)
		}
		return tunnel.Target{}, usageError("%s; %s (a device really named %s: write http://%s)\n%s",
			what, hint, arg, arg, usageLine)
	}
	t, err := tunnel.ParseTarget(arg)
	if err != nil {
		return tunnel.Target{}, usageError("%v\n%s", err, usageLine)
	}
	return t, nil
}

// lookalikeCommand reports the command word arg is, or is one typo away
// from (a letter added, dropped, changed or two swapped), for a bare word
// only: with a dot, a port or a scheme it is clearly a host. Words shorter
// than five letters must match exactly, or real short device names
// ("stor", "hello") would be taken for typos.
func lookalikeCommand(arg string) (cmd string, exact, ok bool) {
	w := strings.ToLower(strings.TrimSpace(arg))
	if w == "" || strings.ContainsAny(w, ".:/") {
		return "", false, false
	}
	for _, c := range commandWords {
		if w == c {
			return c, true, true
		}
	}
	for _, c := range commandWords {
		if len(c) >= 5 && oneEditApart(w, c) {
			return c, false, true
		}
	}
	return "", false, false
}

// oneEditApart reports whether a and b differ by exactly one insertion,
// deletion, substitution or swap of two adjacent letters.
func oneEditApart(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		var diff []int
		for i := range a {
			if a[i] != b[i] {
				diff = append(diff, i)
			}
		}
		if len(diff) == 1 {
			return true
		}
		return len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}
