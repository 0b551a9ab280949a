package unplug

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/urfave/cli/v2"
)

// runToolCommand is `ts-unplug run [flags] -- TOOL [ARGS...]`.
func runToolCommand(stderr io.Writer, e env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "start a coding agent (" + knownToolNames() + ") pointed at the gateway through this machine's ts-unplug",
		ArgsUsage: "-- TOOL [ARGS...]",
		Description: "Starts TOOL with the settings it needs to use the gateway behind the local ts-unplug, for this run only:\n" +
			"environment variables (for Codex, -c overrides on its command line; for Gemini CLI, a settings file\n" +
			"of ts-unplug's own in its cache directory, which outranks yours). No file of yours is\n" +
			"written or changed; to keep the settings, put `eval \"$(ts-unplug env TOOL)\"` in your shell profile.\n" +
			"Every key TOOL gets is the placeholder " + PlaceholderKey + ": the gateway knows you by this tailnet\n" +
			"device and adds the provider's real key itself. ts-unplug first checks that it is running and\n" +
			"that the gateway answers (GET /api/whoami), then becomes TOOL: its input, output and exit status\n" +
			"are TOOL's own.\n\n" +
			"Examples:\n" +
			"   ts-unplug run -- claude\n" +
			"   ts-unplug run -- codex exec \"fix the tests\"\n" +
			"   ts-unplug run --port 9000 -- gemini -m gemini-2.5-flash\n" +
			"   ts-unplug run -- opencode -m ts-unplug/gpt-4o",
		Flags: append(toolFlags(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "do not say what is being started"}),
		OnUsageError: func(c *cli.Context, err error, _ bool) error { return usageError("run: %v", err) },
		Action:       func(c *cli.Context) error { return runTool(c, stderr, e) },
	}
}

// execTool starts the tool; tests replace it. On Unix it replaces this
// process, so the tool gets the terminal, signals and exit status as if
// started by the shell; elsewhere it is a child whose status is passed on.
var execTool = execToolOS

func runTool(c *cli.Context, stderr io.Writer, e env) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return usageError("run: which tool? ts-unplug run -- TOOL [ARGS...], where TOOL is one of %s", knownToolNames())
	}
	t, ok := lookupTool(args[0])
	if !ok {
		return unknownToolError(args[0])
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return cli.Exit(fmt.Sprintf("ts-unplug: %s is not on PATH (%v); install it with `%s`", args[0], unwrapExecError(err), t.Install), 1)
	}
	ep, err := findEndpoint(c, e)
	if err != nil {
		return err
	}
	who, warn, err := probeGateway(c.Context, ep)
	if err != nil {
		return err
	}
	if warn != "" {
		fmt.Fprintf(stderr, "ts-unplug: warning: %s\n", warn)
	}
	g := systemGatewayInfo(ep.Base)
	if t.Name == "opencode" {
		g.Models = fetchModels(c.Context, ep.Base)
	}
	s, err := t.Setup(g)
	if err == nil {
		err = s.writeFiles()
	}
	if err != nil {
		return cli.Exit("ts-unplug: "+err.Error(), 1)
	}
	for _, w := range overriddenSettings(t.Name, os.Getenv("HOME"), s) {
		fmt.Fprintf(stderr, "ts-unplug: warning: %s\n", w)
	}
	if !c.Bool("quiet") {
		as := ""
		if who.Principal != "" {
			as = " as " + who.Principal
		}
		fmt.Fprintf(stderr, "ts-unplug: starting %s with the gateway at %s%s\n", t.Name, ep.Base, as)
	}
	argv := append(append([]string{args[0]}, s.Args...), args[1:]...)
	return execTool(path, argv, s.environ(os.Environ()))
}

// unknownToolError is exit status 2 with the tools ts-unplug knows and
// the generic way for the others.
func unknownToolError(name string) error {
	return usageError("run: %q is not a tool ts-unplug knows how to set up; it knows %s.\n"+
		"Any other tool works too when pointed at ts-unplug's address (http://localhost:%d by default) with a\n"+
		"placeholder key; `ts-unplug env` prints what the known tools get, as a model", name, knownToolNames(), DefaultPort)
}

// unwrapExecError drops the `exec: "claude":` prefix of LookPath's error.
func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// envCommand is `ts-unplug env [--shell SHELL] [TOOL]`.
func envCommand(stdout io.Writer, e env) *cli.Command {
	return &cli.Command{
		Name:      "env",
		Usage:     "print the shell settings that point coding agents at the gateway through ts-unplug",
		ArgsUsage: "[TOOL]",
		Description: "Prints, for every known tool (" + knownToolNames() + ") or just TOOL, the shell lines that point\n" +
			"it at the local ts-unplug: environment variables, and for Codex (which reads no base URL from the\n" +
			"environment) a shell function adding its -c overrides. No file of yours is written; Gemini CLI's\n" +
			"settings point to a file of ts-unplug's own, in its cache directory, which this writes.\n\n" +
			"   eval \"$(ts-unplug env)\"                       # sh, bash, zsh\n" +
			"   ts-unplug env --shell fish | source\n" +
			"   ts-unplug env --shell powershell | Invoke-Expression",
		Flags: append(toolFlags(),
			&cli.StringFlag{Name: "shell", Usage: "`SHELL` syntax: " + strings.Join(shells, ", ") + " (default: from $SHELL)"}),
		OnUsageError: func(c *cli.Context, err error, _ bool) error { return usageError("env: %v", err) },
		Action:       func(c *cli.Context) error { return printEnv(c, stdout, e) },
	}
}

func printEnv(c *cli.Context, stdout io.Writer, e env) error {
	shell := c.String("shell")
	if shell == "" {
		shell = systemShell()
	}
	if !contains(shells, shell) {
		return usageError("env: --shell %q: use one of %s", shell, strings.Join(shells, ", "))
	}
	tools := knownTools
	switch args := c.Args().Slice(); {
	case len(args) > 1:
		return usageError("env: one TOOL at most, got %q", args)
	case len(args) == 1:
		t, ok := lookupTool(args[0])
		if !ok {
			return usageError("env: %q is not a tool ts-unplug knows; it knows %s", args[0], knownToolNames())
		}
		tools = []knownTool{t}
	}
	ep, err := findEndpoint(c, e)
	if err != nil {
		return err
	}
	g := systemGatewayInfo(ep.Base)
	for i, t := range tools {
		if t.Name == "opencode" {
			// OpenCode lists only the models it is told of; when the
			// gateway is not up, the entry names none.
			g.Models = fetchModels(c.Context, ep.Base)
		}
		s, err := t.Setup(g)
		if err == nil {
			err = s.writeFiles()
		}
		if err != nil {
			return cli.Exit("ts-unplug: "+err.Error(), 1)
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeShell(stdout, shell, t, s)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
