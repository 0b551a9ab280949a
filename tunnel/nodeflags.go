package tunnel

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"tailscale.com/types/logger"
)

// NodeFlags are the flags of a binary's tailnet device that ts-unplug,
// ts-plug and aperture share: -control-url, -authkey, -ephemeral,
// -advertise-tags (tagsExample shows tags in its help) and -verbose.
// authKeyNote, if not empty, ends -authkey's help. The device name and
// the state directory have each binary's own flag and default.
func NodeFlags(tagsExample, authKeyNote string) []cli.Flag {
	authKeyUsage := "tailnet auth `KEY`, or file:PATH to read it from a file (default: $TS_AUTHKEY)"
	if authKeyNote != "" {
		authKeyUsage += ". " + authKeyNote
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "control-url", Usage: "coordination server `URL` (default: Tailscale's; Headscale works)"},
		&cli.StringFlag{Name: "authkey", Usage: authKeyUsage},
		&cli.BoolFlag{Name: "ephemeral", Usage: "register as an ephemeral device, removed when it goes offline"},
		&cli.StringFlag{Name: "advertise-tags", Usage: "comma-separated `TAGS` to advertise, e.g. " + tagsExample},
		&cli.BoolFlag{Name: "verbose", Usage: "show tsnet's own logs"},
	}
}

// NodeFlagValues are the NodeFlags of a command line.
type NodeFlagValues struct {
	ControlURL string
	// AuthKey is -authkey as given: a key, file:PATH, or "" for
	// $TS_AUTHKEY. NodeConfig resolves it; an installed service keeps
	// it as given (ServiceAuthKey).
	AuthKey   string
	Ephemeral bool
	Tags      []string
	Verbose   bool
}

// ReadNodeFlags reads c's NodeFlags. The error names the bad flag, for
// a usage error.
func ReadNodeFlags(c *cli.Context) (NodeFlagValues, error) {
	tags, err := ParseTags(c.String("advertise-tags"))
	if err != nil {
		return NodeFlagValues{}, fmt.Errorf("-advertise-tags: %w", err)
	}
	return NodeFlagValues{
		ControlURL: c.String("control-url"),
		AuthKey:    c.String("authkey"),
		Ephemeral:  c.Bool("ephemeral"),
		Tags:       tags,
		Verbose:    c.Bool("verbose"),
	}, nil
}

// NodeConfig is the config of the device named hostname, its state in
// dir, its logs to logf, with the auth key resolved (ResolveAuthKey).
// The error names -authkey, for a usage error.
func (v NodeFlagValues) NodeConfig(hostname, dir string, logf logger.Logf) (NodeConfig, error) {
	key, err := ResolveAuthKey(v.AuthKey)
	if err != nil {
		return NodeConfig{}, fmt.Errorf("-authkey: %w", err)
	}
	return NodeConfig{
		Hostname: hostname, Dir: dir, ControlURL: v.ControlURL, AuthKey: key,
		Ephemeral: v.Ephemeral, AdvertiseTags: v.Tags, Verbose: v.Verbose, Logf: logf,
	}, nil
}
