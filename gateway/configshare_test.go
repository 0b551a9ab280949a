package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/configsync"
	"github.com/tsplug/ts-plug/gateway/replicas"
)

// sharedConfig: alice is an admin; the only key is a file reference, as
// a shared config requires.
const sharedConfig = `// shared test config
{
  "providers": {
    "openai": {
      "baseurl": "https://llm.example/v1",
      "apikey": "file:openai.key",
      "models": ["gpt-4o"],
      "compatibility": {"openai_chat": true},
    },
  },
  "grants": [
    {"src": ["alice@example.com"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}},
  ],
}
`

// fakeSync is the shared database as the gateway sees it: the versions
// saved, the one this replica runs, and whether the database answers.
type fakeSync struct {
	mu       sync.Mutex
	versions []configsync.Version
	running  configsync.Version
	failed   int64
	failure  error
	down     error // what Save and Ping fail with
	pings    int
}

func (f *fakeSync) Save(_ context.Context, text []byte, author string) (configsync.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return configsync.Version{}, f.down
	}
	if last := f.versions[len(f.versions)-1]; last.Seq != f.running.Seq {
		return configsync.Version{}, &configsync.ConflictError{Latest: last}
	}
	v := configsync.Version{Seq: int64(len(f.versions) + 1), Hash: config.Hash(text), Author: author, SavedAt: time.Now(), Text: text}
	f.versions = append(f.versions, v)
	f.running = v
	return v, nil
}

// saveElsewhere adds a version another replica saved (not yet applied here).
func (f *fakeSync) saveElsewhere(text, author string) configsync.Version {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := configsync.Version{Seq: int64(len(f.versions) + 1), Hash: config.Hash([]byte(text)), Author: author, SavedAt: time.Now(), Text: []byte(text)}
	f.versions = append(f.versions, v)
	return v
}

func (f *fakeSync) setRunning(v configsync.Version) { f.mu.Lock(); f.running = v; f.mu.Unlock() }
func (f *fakeSync) Running() configsync.Version {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running
}
func (f *fakeSync) LastError() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed, f.failure
}
func (f *fakeSync) Backend() string { return "postgres" }
func (f *fakeSync) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pings++
	return f.down
}

type fakeReplicas []replicas.Replica

func (fakeReplicas) Self() string                                       { return "ai-1" }
func (r fakeReplicas) List(context.Context) ([]replicas.Replica, error) { return r, nil }

// historyLedger counts what is recorded in the config history.
type historyLedger struct {
	noLedger
	records atomic.Int32
}

func (h *historyLedger) RecordConfig(context.Context, string, string, string) error {
	h.records.Add(1)
	return nil
}

type sharedFixture struct {
	gw      *Server
	sync    *fakeSync
	history *historyLedger
	path    string
	alice   string // base URL alice calls from
}

func newSharedFixture(t *testing.T) *sharedFixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.hujson")
	if err := os.WriteFile(path, []byte(sharedConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openai.key"), []byte("sk-openai-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := config.ParseFile(path, []byte(sharedConfig))
	if err != nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	seed := configsync.Version{Seq: 1, Hash: config.Hash([]byte(sharedConfig)), Author: "seeded from ai-1's config file",
		SavedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Text: []byte(sharedConfig)}
	fs := &fakeSync{versions: []configsync.Version{seed}, running: seed}
	now := time.Now()
	reps := fakeReplicas{
		{ID: "ai-1", Hostname: "host-1", Version: "v-dash", ConfigSeq: 1, Started: now, Heartbeat: now, Self: true},
		{ID: "ai-2", Hostname: "host-2", Version: "v-dash", ConfigSeq: 1, Started: now, Heartbeat: now.Add(-40 * time.Second), Age: 40 * time.Second, Stale: true},
	}
	h := &historyLedger{}
	who := fakeWhoIs{"100.64.0.1": user("alice@example.com")}
	// The host allows the key's reference, as every replica of a shared
	// config must (secretRefPolicy.patternsOnly).
	gw, err := New(cfg, []byte(sharedConfig), Options{WhoIs: who.whois, Ledger: h, Logf: t.Logf, ConfigPath: path,
		ConfigSync: fs, Replicas: reps, Version: "v-dash", AllowedSecretRefs: []string{"file:openai.key"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = "100.64.0.1:41641"
		gw.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return &sharedFixture{gw: gw, sync: fs, history: h, path: path, alice: ts.URL}
}

// sharedAnswer is GET /api/config's shared part.
type sharedAnswer struct {
	configAnswer
	Version  *versionJSON  `json:"version"`
	Replica  string        `json:"replica"`
	Replicas []replicaJSON `json:"replicas"`
}

func (f *sharedFixture) getConfig(t *testing.T) sharedAnswer {
	t.Helper()
	res, body := do(t, "GET", f.alice+"/api/config", "")
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/config: %d %s", res.StatusCode, body)
	}
	var a sharedAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *sharedFixture) fileText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSharedPutPublishes: a save on a replica becomes the next shared
// version (by its admin), is applied and written here, and is recorded
// in the history once.
func TestSharedPutPublishes(t *testing.T) {
	f := newSharedFixture(t)
	a := f.getConfig(t)
	if a.Version == nil || a.Version.Seq != 1 || a.Version.Modified || a.Replica != "ai-1" || len(a.Replicas) != 2 ||
		!a.Replicas[1].Stale || a.Replicas[1].AgeSeconds != 40 {
		t.Fatalf("before the save: %+v", a)
	}
	edited := strings.Replace(a.Config, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`, 1)
	res, body := do(t, "PUT", f.alice+"/api/config", putBody(edited, a.Hash), csrf...)
	if res.StatusCode != 200 {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	var saved sharedAnswer
	json.Unmarshal([]byte(body), &saved)
	if saved.Version == nil || saved.Version.Seq != 2 || saved.Version.Author != "alice@example.com" {
		t.Errorf("save answered %s", body)
	}
	if n := len(f.sync.versions); n != 2 || string(f.sync.versions[1].Text) != edited || f.sync.versions[1].Author != "alice@example.com" {
		t.Fatalf("shared versions after the save: %d %+v", n, f.sync.versions)
	}
	if _, src := f.gw.Config(); string(src) != edited || f.fileText(t) != edited {
		t.Errorf("the save was not applied and written here")
	}
	if a := f.getConfig(t); a.Version.Seq != 2 || a.Version.Modified {
		t.Errorf("after the save: %+v", a.Version)
	}
	if n := f.history.records.Load(); n != 1 {
		t.Errorf("%d history records after one save", n)
	}
}

// TestSharedPutRefusals: a literal key, a version saved meanwhile on
// another replica, an unreachable database: nothing is saved, applied or
// written.
func TestSharedPutRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(f *sharedFixture)
		edit    func(string) string
		status  int
		says    string
	}{
		{"literal key", nil, func(s string) string {
			return strings.Replace(s, `"file:openai.key"`, `"sk-proj-literal-0123456789abcdef"`, 1)
		}, 422, "providers.openai.apikey is a literal key"},
		{"credential header", nil, func(s string) string {
			return strings.Replace(s, `"models": ["gpt-4o"],`, `"models": ["gpt-4o"], "add_headers": ["Authorization: Bearer sk-x"],`, 1)
		}, 422, "providers.openai.add_headers[0] sends a credential"},
		{"saved on another replica", func(f *sharedFixture) { f.sync.saveElsewhere(sharedConfig+"\n", "bob@example.com") },
			func(s string) string { return s + "\n// mine\n" }, 409, "version 2 (by bob@example.com) was saved on another replica"},
		{"database down", func(f *sharedFixture) {
			f.sync.down = errors.New("dial unix /run/pg/.s.PGSQL.5432: connection refused")
		},
			func(s string) string { return s + "\n// mine\n" }, 503, "the shared config database cannot be reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSharedFixture(t)
			a := f.getConfig(t)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			versions := len(f.sync.versions)
			res, body := do(t, "PUT", f.alice+"/api/config", putBody(tt.edit(a.Config), a.Hash), csrf...)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.says) {
				t.Fatalf("save: %d, want %d saying %q:\n%s", res.StatusCode, tt.status, tt.says, body)
			}
			if strings.Contains(body, "/run/pg") {
				t.Errorf("the database's error reached the client: %s", body)
			}
			if len(f.sync.versions) != versions {
				t.Errorf("a version was saved")
			}
			if _, src := f.gw.Config(); string(src) != sharedConfig || f.fileText(t) != sharedConfig || f.history.records.Load() != 0 {
				t.Errorf("the refused save changed the running config, the file or the history")
			}
		})
	}
}

// TestSharedRemoteVersionApplies: a version saved on another replica is
// applied as a file reload would be, written to the config file, shown
// by GET /api/config, and not recorded in the history a second time;
// one that does not load here changes nothing.
func TestSharedRemoteVersionApplies(t *testing.T) {
	f := newSharedFixture(t)
	remote := strings.Replace(sharedConfig, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "o3"]`, 1)
	v := f.sync.saveElsewhere(remote, "bob@example.com")
	if err := f.gw.ApplySharedConfig(v); err != nil {
		t.Fatal(err)
	}
	f.sync.setRunning(v) // as the syncer does once apply returns
	if _, src := f.gw.Config(); string(src) != remote {
		t.Fatalf("the remote version is not running")
	}
	if f.fileText(t) != remote {
		t.Errorf("the remote version was not written to the config file")
	}
	a := f.getConfig(t)
	if !strings.Contains(a.Config, `"o3"`) || a.Hash != config.Hash([]byte(remote)) || a.Version.Seq != 2 ||
		a.Version.Author != "bob@example.com" || a.Version.Modified {
		t.Errorf("GET /api/config after the remote version: %+v", a)
	}
	if n := f.history.records.Load(); n != 0 {
		t.Errorf("the remote version was recorded in this replica's history (%d)", n)
	}
	if _, err := os.Stat(f.path + localSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a shared version's file was kept as a local one: %v", err)
	}

	// A host admin's edit, never shared, is kept when a version replaces it.
	local := remote + "// edited on this host\n"
	if err := os.WriteFile(f.path, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	next := f.sync.saveElsewhere(sharedConfig, "bob@example.com")
	if err := f.gw.ApplySharedConfig(next); err != nil {
		t.Fatal(err)
	}
	f.sync.setRunning(next)
	if kept, err := os.ReadFile(f.path + localSuffix); err != nil || string(kept) != local || f.fileText(t) != sharedConfig {
		t.Errorf("the local edit was not kept (%v), or the version not written", err)
	}

	broken := f.sync.saveElsewhere(`{"providers": {"x": {"apikey": "file:missing.key", "baseurl": "https://x.example"}}, "grants": `, "bob@example.com")
	if err := f.gw.ApplySharedConfig(broken); err == nil {
		t.Fatal("a version that does not parse was applied")
	}
	if _, src := f.gw.Config(); string(src) != sharedConfig || f.fileText(t) != sharedConfig {
		t.Errorf("a failed version changed the running config or the file")
	}
}

// TestSharedHealthz: /healthz reports the database, and answers 503 with
// a JSON reason (not the database's error) when it cannot be reached.
func TestSharedHealthz(t *testing.T) {
	f := newSharedFixture(t)
	res, body := do(t, "GET", f.alice+"/healthz", "")
	if res.StatusCode != 200 || !strings.Contains(body, "database: postgres, reachable") {
		t.Fatalf("healthy: %d %s", res.StatusCode, body)
	}
	// Health checks, however many, ping the database at most once a
	// second: they cannot take its connections from requests.
	for range 20 {
		do(t, "GET", f.alice+"/healthz", "")
	}
	f.sync.mu.Lock()
	pings := f.sync.pings
	f.sync.down = errors.New("dial unix /run/pg/.s.PGSQL.5432: connection refused")
	f.sync.mu.Unlock()
	if pings != 1 {
		t.Errorf("21 health checks pinged the database %d times, want 1", pings)
	}
	time.Sleep(healthCacheFor)
	res, body = do(t, "GET", f.alice+"/healthz", "")
	var got struct {
		Status   string         `json:"status"`
		Reason   string         `json:"reason"`
		Database databaseHealth `json:"database"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || res.StatusCode != 503 ||
		res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("database down: %d %s (%v)", res.StatusCode, body, err)
	}
	if got.Status != "unavailable" || got.Database != (databaseHealth{Backend: "postgres"}) ||
		!strings.Contains(got.Reason, "cannot be reached") || strings.Contains(body, "/run/pg") {
		t.Errorf("database down: %s", body)
	}
}

// TestSharedSettingsPage: the Settings page shows the version this
// replica runs and the replicas with their last heartbeat.
func TestSharedSettingsPage(t *testing.T) {
	f := newSharedFixture(t)
	res, body := do(t, "GET", f.alice+"/ui/settings", "")
	if res.StatusCode != 200 {
		t.Fatalf("%d", res.StatusCode)
	}
	for _, s := range []string{`id="config-version">1<`, "ai-1", "(this one)", "host-2", "40 s ago", "stale", "1 of 1 live replicas run it"} {
		if !strings.Contains(body, s) {
			t.Errorf("settings page lacks %q", s)
		}
	}
}

// TestSingleGatewayUnchanged: without a shared database the config API
// and /healthz say nothing of versions, replicas or databases.
func TestSingleGatewayUnchanged(t *testing.T) {
	f := newDashFixture(t)
	_, body := do(t, "GET", f.url("alice", "/api/config"), "")
	_, health := do(t, "GET", f.url("alice", "/healthz"), "")
	if strings.Contains(body, `"version"`) || strings.Contains(body, `"replica`) || strings.Contains(health, "database") {
		t.Errorf("a single gateway reports sharing:\n%s\n%s", body, health)
	}
}

// TestSharedVersionCannotReadThisHostsSecrets: a version saved on another
// replica (or written into the database) that names an env:/file:
// reference this host's --allow-secret-ref does not allow is not applied,
// so it cannot make this host read a variable or file and send it to a
// server of the saver's choosing; a reference this host's own config
// file had does not count, since the file is a copy of the shared config.
func TestSharedVersionCannotReadThisHostsSecrets(t *testing.T) {
	t.Setenv("APERTURE_TEST_HOST_SECRET", "sk-host-only")
	f := newSharedFixture(t)
	for _, ref := range []string{"env:APERTURE_TEST_HOST_SECRET", "file:/etc/hostname", "file:openai.key.bak"} {
		evil := strings.Replace(sharedConfig, `"file:openai.key"`, strconv.Quote(ref), 1)
		evil = strings.Replace(evil, "https://llm.example/v1", "http://attacker.example/v1", 1)
		v := f.sync.saveElsewhere(evil, "mallory@example.com")
		err := f.gw.ApplySharedConfig(v)
		if err == nil || !strings.Contains(err.Error(), "--allow-secret-ref") {
			t.Errorf("%s: applied (%v)", ref, err)
		}
		if _, src := f.gw.Config(); string(src) != sharedConfig || f.fileText(t) != sharedConfig {
			t.Errorf("%s: the refused version changed the running config or the file", ref)
		}
	}
}

// TestSharedPutAppliesWhenTheFileCannotBeWritten: once a save is the
// shared version, every other replica applies it; this one must too, and
// keep it, even when its config file (a copy of the database's version)
// cannot be written, as on a read-only mount: the file watcher must not
// reload the old text over it a second later.
func TestSharedPutAppliesWhenTheFileCannotBeWritten(t *testing.T) {
	f := newSharedFixture(t)
	a := f.getConfig(t)
	f.gw.writeFile = func(string, []byte) error { return errors.New("read-only file system") }
	edited := strings.Replace(a.Config, `"models": ["gpt-4o"]`, `"models": ["gpt-4o", "gpt-4o-mini"]`, 1)
	res, body := do(t, "PUT", f.alice+"/api/config", putBody(edited, a.Hash), csrf...)
	if res.StatusCode != 200 {
		t.Errorf("save: %d %s", res.StatusCode, body)
	}
	f.gw.reloadIfChanged(f.path, false) // the watcher's next tick
	if _, src := f.gw.Config(); string(src) != edited || f.sync.Running().Seq != 2 {
		t.Errorf("this replica runs %q (shared version %d); want the saved version 2", src, f.sync.Running().Seq)
	}
	// A remote version the file cannot take is kept too.
	remote := strings.Replace(edited, `"gpt-4o-mini"]`, `"gpt-4o-mini", "o3"]`, 1)
	if err := f.gw.ApplySharedConfig(f.sync.saveElsewhere(remote, "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	f.gw.reloadIfChanged(f.path, false)
	if _, src := f.gw.Config(); string(src) != remote {
		t.Errorf("the watcher reloaded the old file over the remote version")
	}
	// An edit of the file on this host is still a change the watcher
	// applies.
	f.gw.writeFile = writeFileAtomic
	local := sharedConfig + "// edited on this host\n"
	if err := os.WriteFile(f.path, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	f.gw.reloadIfChanged(f.path, false)
	if _, src := f.gw.Config(); string(src) != local {
		t.Errorf("a host edit after the unwritten versions was not reloaded")
	}
}

// TestSharedKeepsEveryLocalCopy: the host admin's own file, kept as
// .local when the shared config first replaced it, is never overwritten
// by a later replacement (a restart behind the database): that one is
// kept beside it.
func TestSharedKeepsEveryLocalCopy(t *testing.T) {
	f := newSharedFixture(t)
	original := sharedConfig + "// the host admin's own\n"
	for i, text := range []string{original, sharedConfig + "// a later edit\n"} {
		if err := os.WriteFile(f.path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		remote := strings.Replace(sharedConfig, `"models": ["gpt-4o"]`, fmt.Sprintf(`"models": ["gpt-4o", "m%d"]`, i), 1)
		v := f.sync.saveElsewhere(remote, "bob@example.com")
		if err := f.gw.ApplySharedConfig(v); err != nil {
			t.Fatal(err)
		}
		f.sync.setRunning(v)
	}
	if b, err := os.ReadFile(f.path + localSuffix); err != nil || string(b) != original {
		t.Errorf("%s%s = %q, %v; want the host admin's original", f.path, localSuffix, b, err)
	}
	if b, err := os.ReadFile(f.path + localSuffix + ".2"); err != nil || !strings.Contains(string(b), "a later edit") {
		t.Errorf("the later edit was not kept beside it: %q, %v", b, err)
	}
}

// The refusal of a reference this host does not allow, while the config
// is shared, says what works: not "enter the key itself" (a literal key
// is refused too), but the flag on every replica.
func TestSharedRefusalSaysWhatWorks(t *testing.T) {
	f := newSharedFixture(t)
	evil := strings.Replace(sharedConfig, `"file:openai.key"`, `"env:NOT_ALLOWED_KEY"`, 1)
	err := f.gw.ApplySharedConfig(f.sync.saveElsewhere(evil, "bob@example.com"))
	if err == nil || strings.Contains(err.Error(), "itself") || !strings.Contains(err.Error(), `every other replica with --allow-secret-ref "env:NOT_ALLOWED_KEY"`) ||
		!strings.Contains(err.Error(), "that variable") {
		t.Errorf("refusal: %v", err)
	}
}
