package tunnel

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// readNodeFlags runs a cli.App with NodeFlags on args and returns what
// ReadNodeFlags and NodeConfig make of them.
func readNodeFlags(t *testing.T, args ...string) (NodeFlagValues, NodeConfig, error) {
	t.Helper()
	var v NodeFlagValues
	var cfg NodeConfig
	var err error
	app := &cli.App{
		Flags:          NodeFlags("tag:x", ""),
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if v, err = ReadNodeFlags(c); err != nil {
				return nil
			}
			cfg, err = v.NodeConfig("dev", "/state", nil)
			return nil
		},
	}
	if runErr := app.Run(append([]string{"prog"}, args...)); runErr != nil {
		t.Fatalf("%q: %v", args, runErr)
	}
	return v, cfg, err
}

func TestNodeFlags(t *testing.T) {
	t.Setenv("TS_AUTHKEY", "tskey-from-env")
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte("tskey-from-file\n"), 0o600)

	v, cfg, err := readNodeFlags(t, "-control-url", "https://hs.example", "-authkey", "file:"+keyFile,
		"-ephemeral", "-advertise-tags", "tag:a, tag:b", "-verbose")
	if err != nil {
		t.Fatal(err)
	}
	wantV := NodeFlagValues{ControlURL: "https://hs.example", AuthKey: "file:" + keyFile, Ephemeral: true,
		Tags: []string{"tag:a", "tag:b"}, Verbose: true}
	if !reflect.DeepEqual(v, wantV) {
		t.Errorf("values = %+v, want %+v", v, wantV)
	}
	wantCfg := NodeConfig{Hostname: "dev", Dir: "/state", ControlURL: "https://hs.example", AuthKey: "tskey-from-file",
		Ephemeral: true, AdvertiseTags: []string{"tag:a", "tag:b"}, Verbose: true}
	if !reflect.DeepEqual(cfg, wantCfg) {
		t.Errorf("config = %+v, want %+v", cfg, wantCfg)
	}

	if _, cfg, err := readNodeFlags(t); err != nil || cfg.AuthKey != "tskey-from-env" || cfg.Ephemeral || cfg.Verbose {
		t.Errorf("no flags: config %+v, %v; want the key from $TS_AUTHKEY and nothing else", cfg, err)
	}
	if _, _, err := readNodeFlags(t, "-advertise-tags", "ci"); err == nil || !strings.HasPrefix(err.Error(), "-advertise-tags: ") {
		t.Errorf("bad tag: error %v, want one naming -advertise-tags", err)
	}
	if _, _, err := readNodeFlags(t, "-authkey", "file:"+filepath.Join(t.TempDir(), "missing")); err == nil || !strings.HasPrefix(err.Error(), "-authkey: ") {
		t.Errorf("missing key file: error %v, want one naming -authkey", err)
	}
}
