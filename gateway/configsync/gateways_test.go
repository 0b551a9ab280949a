package configsync_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/configsync"
	"github.com/tsplug/ts-plug/internal/pgtest"
)

// replicaConfig is the config the first replica seeds; the loopback
// caller is its admin.
const replicaConfig = `{
  "providers": {
    "openai": {"baseurl": "https://llm.example/v1", "apikey": "file:openai.key", "models": ["gpt-4o"], "compatibility": {"openai_chat": true}},
  },
  "grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}],
}
`

// gatewayReplica is a gateway with its syncer, as gateway/app wires them.
type gatewayReplica struct {
	gw   *gateway.Server
	sync *configsync.Syncer
	path string
	url  string // its local listener
}

func startGatewayReplica(t *testing.T, dsn, name, file string) *gatewayReplica {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.hujson")
	for p, text := range map[string]string{path: file, filepath.Join(dir, "openai.key"): "sk-openai-on-" + name} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags, err := config.ParseFile(path, []byte(file))
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	logf := func(f string, a ...any) { t.Logf(name+": "+f, a...) }
	s, err := configsync.New(configsync.Options{DSN: dsn, Origin: name, PollInterval: time.Hour, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	gw, err := gateway.New(cfg, []byte(file), gateway.Options{ConfigPath: path, ConfigSync: s, Logf: logf, Version: "v-test", AllowedSecretRefs: []string{"file:openai.key"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(context.Background(), []byte(file), gw.ApplySharedConfig); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	ts := httptest.NewServer(gw.LocalHandler())
	t.Cleanup(ts.Close)
	return &gatewayReplica{gw: gw, sync: s, path: path, url: ts.URL}
}

type configAnswer struct {
	Config  string `json:"config"`
	Hash    string `json:"hash"`
	Version struct {
		Seq int64 `json:"seq"`
	} `json:"version"`
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gateway.CSRFHeader, "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (r *gatewayReplica) config(t *testing.T) configAnswer {
	t.Helper()
	status, body := call(t, "GET", r.url+"/api/config", "")
	var a configAnswer
	if err := json.Unmarshal([]byte(body), &a); status != 200 || err != nil {
		t.Fatalf("GET /api/config: %d %s", status, body)
	}
	return a
}

// TestGatewaysShareConfig: two gateways on one database. The second
// starts with its own file (a literal key in it), takes the database's
// version instead and keeps its file aside; a config saved through A's
// API is served by B within the 2 s, and written to B's file.
func TestGatewaysShareConfig(t *testing.T) {
	dsn := pgtest.Database(t)
	a := startGatewayReplica(t, dsn, "a", replicaConfig)
	own := strings.Replace(replicaConfig, `"file:openai.key"`, `"sk-literal-on-b-0123456789"`, 1)
	b := startGatewayReplica(t, dsn, "b", own)
	if got := b.config(t); got.Version.Seq != 1 || got.Hash != config.Hash([]byte(replicaConfig)) {
		t.Fatalf("b started on %+v, want the seeded version 1", got)
	}
	if kept, _ := os.ReadFile(b.path + ".local"); string(kept) != own {
		t.Errorf("b's own file was not kept aside")
	}

	// Both listen, so what follows is the notification's path (a save
	// made before B listened would be found by B's catch-up instead).
	for wait := time.Now().Add(10 * time.Second); !a.sync.Listening() || !b.sync.Listening(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("the listeners never connected")
		}
	}
	cur := a.config(t)
	edited := strings.Replace(cur.Config, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "o3"]`, 1)
	req, _ := json.Marshal(map[string]string{"config": edited, "hash": cur.Hash})
	if status, body := call(t, "PUT", a.url+"/api/config", string(req)); status != 200 {
		t.Fatalf("save on a: %d %s", status, body)
	}
	saved := time.Now()
	deadline := saved.Add(2 * time.Second)
	for {
		got := b.config(t)
		if got.Version.Seq == 2 && got.Config == edited {
			t.Logf("b serves version 2 %v after the save", time.Since(saved))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b still serves version %d 2 s after the save on a", got.Version.Seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if disk, _ := os.ReadFile(b.path); string(disk) != edited {
		t.Errorf("b's config file is not version 2")
	}
}
