package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
)

// microPackages hold the request path's hot functions and their
// micro-benchmarks: body model extraction (apis), grant evaluation
// (grants), routing, SSE usage parsing (usage), ledger enqueue (ledger),
// and the whole handler (gateway).
var microPackages = []string{"./gateway/apis", "./gateway/grants", "./gateway/routing", "./gateway/usage", "./gateway/ledger", "./gateway"}

// runMicro runs the micro-benchmarks on cpus (all the harness was
// allowed: they are not part of the pinned comparison), echoing their
// output, and returns the benchmark result lines (or what went wrong) and
// the command that produced them, for the report.
func runMicro(ctx context.Context, cpus []int, root, benchtime string) (lines, command string) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime=" + benchtime}, microPackages...)
	command = "go " + strings.Join(args, " ")
	command = strings.Replace(command, "-run ^$", "-run '^$'", 1)
	say("running the Go micro-benchmarks: %s", command)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &buf)
	cmd.Stderr = io.MultiWriter(os.Stderr, &buf)
	err := startOn(cmd, cpus)
	if err == nil {
		err = cmd.Wait()
	}
	lines = benchLines(buf.String())
	if err != nil {
		lines += "\n(go test failed: " + err.Error() + "; see the run's output)\n"
	}
	return lines, command
}

// benchLines keeps the lines of `go test -bench` output that matter in a
// report: package headers and results.
func benchLines(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "pkg:") || strings.HasPrefix(line, "Benchmark") ||
			strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
