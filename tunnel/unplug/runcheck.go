package unplug

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// probeTimeout bounds each request of the check before a tool starts: a
// local port answers at once, and a gateway that takes longer than this
// to say who we are would leave the tool hanging anyway.
const probeTimeout = 5 * time.Second

// gatewayCaller is what the gateway says of us on /api/whoami.
type gatewayCaller struct {
	Principal string `json:"principal"`
	Role      string `json:"role"`
}

// probeGateway checks that ts-unplug answers at ep and that the gateway
// behind it does, before a tool starts and fails in its own words (or
// hangs retrying). A 4xx is the gateway answering (no role yet, or not an
// Aperture-style gateway): the tool may still work, so it is a warning in
// warn. Anything else is an error that says how to start ts-unplug.
func probeGateway(ctx context.Context, ep localEndpoint) (who gatewayCaller, warn string, err error) {
	client := &http.Client{Timeout: probeTimeout}
	req, _ := http.NewRequestWithContext(ctx, "GET", ep.Base+"/api/whoami", nil)
	res, err := client.Do(req)
	if err != nil {
		return who, "", cli.Exit(fmt.Sprintf("ts-unplug: nothing answers at %s (%s): %v\n"+
			"Start ts-unplug first: `ts-unplug ai.<your tailnet>.ts.net` in another terminal, or install it as a service\n"+
			"with `sudo ts-unplug install ai.<your tailnet>.ts.net`; if it listens elsewhere, pass --port or --dir.",
			ep.Base, ep.From, unwrapURLError(err)), 1)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusOK:
		json.Unmarshal(body, &who)
		return who, "", nil
	case res.StatusCode >= 400 && res.StatusCode < 500:
		return who, fmt.Sprintf("the gateway behind %s answered /api/whoami with %s: %s", ep.Base, res.Status, oneLine(body)), nil
	}
	// ts-unplug's own 503 says what is wrong (not logged in yet, the
	// target unreachable) and which command shows more.
	msg := fmt.Sprintf("ts-unplug at %s is not ready (%s): %s", ep.Base, res.Status, oneLine(body))
	if !strings.Contains(msg, "ts-unplug status") {
		msg += "\nSee `ts-unplug status`."
	}
	return who, "", cli.Exit(msg, 1)
}

// fetchModels lists the gateway's models for the tools that must name
// them (OpenCode). It is best effort: an empty list still starts the tool.
func fetchModels(ctx context.Context, base string) []gatewayModel {
	client := &http.Client{Timeout: probeTimeout}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer "+PlaceholderKey)
	res, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil
	}
	var list struct{ Data []gatewayModel }
	if json.NewDecoder(io.LimitReader(res.Body, 8<<20)).Decode(&list) != nil {
		return nil
	}
	return list.Data
}

// oneLine is an answer body fit for one line of a message.
func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	var e struct {
		Error struct{ Message string }
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		s = e.Error.Message
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// unwrapURLError drops the "Get \"http://...\":" prefix the URL already
// in the message would repeat.
func unwrapURLError(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok && strings.HasPrefix(err.Error(), "Get ") {
		return ue.Unwrap()
	}
	return err
}

// overriddenSettings warns of the tool's own settings that beat the
// environment ts-unplug gives it: Claude Code applies the "env" of
// ~/.claude/settings.json over its process environment, so a base URL or
// key there would send the run elsewhere (Aperture's launcher refuses to
// start then; ts-unplug says so and lets the user decide).
func overriddenSettings(tool, home string, s toolSetup) []string {
	if tool != "claude" || home == "" {
		return nil
	}
	path := filepath.Join(home, ".claude", "settings.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var settings struct{ Env map[string]any }
	if json.Unmarshal(b, &settings) != nil {
		return nil
	}
	var out []string
	for _, name := range append(setNames(s), s.Unset...) {
		if _, ok := settings.Env[name]; ok {
			out = append(out, fmt.Sprintf("%s sets %s in \"env\", which Claude Code applies over ts-unplug's setting: remove it there for this to reach the gateway", path, name))
		}
	}
	return out
}

func setNames(s toolSetup) []string {
	names := make([]string, len(s.Set))
	for i, v := range s.Set {
		names[i] = v.Name
	}
	return names
}
