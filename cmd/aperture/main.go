// Command aperture is an LLM gateway on a tailnet: callers are identified
// by the tailnet, authorized by grants, and never hold a provider key.
package main

import (
	"os"

	"github.com/tsplug/ts-plug/gateway/app"
	"github.com/tsplug/ts-plug/installers/servicecmd"
	"tailscale.com/hostinfo"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	// The device tells the coordination server which program it is
	// (Hostinfo.App), as golink does; tsnet alone says only "tsnet"
	// (Hostinfo.Package).
	hostinfo.SetApp("aperture")
	os.Exit(app.Main(os.Args, version, os.Stdout, os.Stderr,
		serviceCommands(servicecmd.System, httpHealth, os.Stdout)...))
}
