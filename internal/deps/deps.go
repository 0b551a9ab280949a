//go:build tools

// Package deps pins the module's dependencies while packages that use them
// are being written, so `go mod tidy` keeps go.sum complete for everyone.
package deps

import (
	_ "github.com/anthropics/anthropic-sdk-go/v2"
	_ "github.com/kardianos/service"
	_ "github.com/openai/openai-go/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/tailscale/hujson"
	_ "github.com/urfave/cli/v2"
	_ "google.golang.org/genai"
	_ "modernc.org/sqlite"
	_ "tailscale.com/client/local"
	_ "tailscale.com/client/tailscale/apitype"
	_ "tailscale.com/derp/derpserver"
	_ "tailscale.com/ipn/store/mem"
	_ "tailscale.com/net/netns"
	_ "tailscale.com/net/stun/stuntest"
	_ "tailscale.com/tailcfg"
	_ "tailscale.com/tsnet"
	_ "tailscale.com/tstest/integration"
	_ "tailscale.com/tstest/integration/testcontrol"
	_ "tailscale.com/types/logger"
)
