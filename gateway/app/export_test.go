package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/export"
	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/s3test"
)

// exportConfig is a config with one provider, the local listener's caller
// allowed every model, and the S3 exporter writing under prefix.
const exportConfig = `{
  "providers": {"anthropic": {"baseurl": %q, "apikey": "sk-ant-test-0123456789", "models": ["claude-sonnet-4-5"],
    "authorization": "x-api-key", "compatibility": {"anthropic_messages": true}}},
  "grants": [{"src": ["(loopback)"], "app": {"tailscale.com/cap/aperture": [{"role": "admin"}, {"models": "**"}]}}],
  "exporters": {"s3": {"bucket_name": %q, "endpoint": %q, "prefix": %q,
    "access_key_id": %q, "access_secret": "env:TSPLUG_TEST_S3_SECRET", "every": 3600}},
}`

// lineWatcher is aperture's stderr: it keeps the text and hands each line
// to whoever waits for one.
type lineWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, l := range strings.SplitAfter(string(p), "\n") {
		select {
		case w.lines <- l:
		default:
		}
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// wait returns the first submatch of re in the next line that matches.
func (w *lineWatcher) wait(t *testing.T, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		select {
		case l := <-w.lines:
			if m := rx.FindStringSubmatch(l); m != nil {
				return m[len(m)-1]
			}
		case <-timeout.C:
			t.Fatalf("no line matching %q in:\n%s", re, w.String())
		}
	}
}

// aperture runs with exporters.s3, picks up a config change without a
// restart, and exports what is left when it stops: every request ends up
// in the bucket once, under the prefix in force.
func TestApertureExportsToS3(t *testing.T) {
	srv := s3test.Start(t)
	// s3rver does not check the secret; one of our own shows whether it
	// leaks into the log.
	const secret = "s3-secret-of-the-app-test-0123456789"
	t.Setenv("TSPLUG_TEST_S3_SECRET", secret)
	fake := httptest.NewServer(fakellm.New().Handler())
	defer fake.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.hujson")
	writeConfig := func(prefix string) {
		src := fmt.Sprintf(exportConfig, fake.URL, srv.Bucket, srv.Endpoint, prefix, s3test.AccessKeyID)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("first")

	stderr := &lineWatcher{lines: make(chan string, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{configPath: path, stateDir: filepath.Join(dir, "state"), hostname: "ai",
			listen: "127.0.0.1:0", noTailnet: true, shutdownGrace: 5 * time.Second, version: "test"}, stderr)
	}()
	addr := stderr.wait(t, `serving http://(\S+) `)
	ask := func() {
		t.Helper()
		body := `{"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}`
		resp, err := http.Post("http://"+addr+"/v1/messages", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request: %d %s", resp.StatusCode, b)
		}
	}
	ask()
	writeConfig("moved")
	stderr.wait(t, `S3 export: to s3://exports/moved/`)
	ask()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}

	var ids []string
	for _, k := range srv.Keys() {
		if !strings.HasPrefix(k, "moved/ts-aperture-export-") {
			t.Errorf("object %s is not under the prefix in force", k)
		}
		recs, err := export.ReadAll(bytes.NewReader(srv.Get(k)))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ids = append(ids, r.ID)
			if r.Model != "claude-sonnet-4-5" || r.APIType != "ant_messages" || r.Identity.Principal != "(loopback)" || r.StatusCode != 200 {
				t.Errorf("record %+v", r)
			}
			if r.Capture == nil || !bytes.Contains(r.Capture.RequestBody, []byte(`"hi"`)) {
				t.Errorf("record %s: capture %+v", r.ID, r.Capture)
			}
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("exported records %v, want the two requests once each\n%s", ids, stderr.String())
	}
	if strings.Contains(stderr.String(), secret) {
		t.Errorf("a secret is in the log:\n%s", stderr.String())
	}
}
