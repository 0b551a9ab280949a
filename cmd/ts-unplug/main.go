// Command ts-unplug reaches a tailnet service from a machine that is not on
// the tailnet: it joins as its own device and forwards localhost:9996.
package main

import (
	"os"

	"github.com/tsplug/ts-plug/tunnel/unplug"
	"tailscale.com/hostinfo"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	// The device tells the coordination server which program it is
	// (Hostinfo.App), as golink does; tsnet alone says only "tsnet"
	// (Hostinfo.Package).
	hostinfo.SetApp("ts-unplug")
	os.Exit(unplug.Main(os.Args, version, os.Stdout, os.Stderr))
}
