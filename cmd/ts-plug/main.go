// Command ts-plug makes a server on this machine its own tailnet device:
// ts-plug -hostname llm [-upstream URL] [-- COMMAND ARGS...].
package main

import (
	"os"

	"github.com/tsplug/ts-plug/tunnel/plug"
	"tailscale.com/hostinfo"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	// The device tells the coordination server which program it is
	// (Hostinfo.App), as golink does; tsnet alone says only "tsnet"
	// (Hostinfo.Package).
	hostinfo.SetApp("ts-plug")
	os.Exit(plug.Main(os.Args, version, os.Stdout, os.Stderr))
}
