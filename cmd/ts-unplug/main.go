// Command ts-unplug reaches a tailnet service from a machine that is not on
// the tailnet: it joins as its own device and forwards localhost:9996.
package main

import (
	"os"

	"github.com/tsplug/ts-plug/tunnel/unplug"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(unplug.Main(os.Args, version, os.Stdout, os.Stderr))
}
