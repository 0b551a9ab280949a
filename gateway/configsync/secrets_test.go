package configsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/pgtest"
)

func TestLiteralSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string // one "line path" per refused field, in order
	}{
		{"references", `{"providers": {"a": {"apikey": "env:A"}, "b": {"apikey": "file:/k/b"}}, "hooks": {"h": {"url": "https://h.example", "apikey": "env:H"}}}`, nil},
		{"no keys", `{"providers": {"local": {"baseurl": "http://127.0.0.1:11434"}}}`, nil},
		{"literal provider key", "{\"providers\": {\n\"a\": {\"apikey\": \"sk-ant-abcdefghijklmnop\"}}}", []string{"2 providers.a.apikey"}},
		{"literal hook key and s3 secret", `{"hooks": {"h": {"url": "https://h.example", "apikey": "hk-1"}}, "exporters": {"s3": {"access_secret": "s3cret"}}}`,
			[]string{"1 hooks.h.apikey", "1 exporters.s3.access_secret"}},
		{"credentials in a URL", `{"providers": {"a": {"baseurl": "https://u:p@llm.example", "apikey": "env:A"}}}`, []string{"1 providers.a.baseurl"}},
		{"credential header", `{"providers": {"a": {"apikey": "env:A", "add_headers": ["anthropic-beta: x", "Authorization: Bearer abc"]}}}`, []string{"1 providers.a.add_headers[1]"}},
		{"grant credential header", `{"grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"models": ["**"], "add_headers": ["X-Api-Key: k"]}]}}]}`,
			[]string{`1 grants[0].app["tailscale.com/cap/aperture"][0].add_headers[0]`}},
		{"credential headers by name", `{"providers": {"a": {"apikey": "env:A", "add_headers": ["Ocp-Apim-Subscription-Key: k", "X-Auth-Token: t", "OpenAI-Organization: org-1"]}}}`,
			[]string{"1 providers.a.add_headers[0]", "1 providers.a.add_headers[1]"}},
		{"key in a URL's query", `{"providers": {"a": {"baseurl": "https://gen.example/v1beta?key=AIzaSyA-123", "apikey": "env:A"}}}`, []string{"1 providers.a.baseurl"}},
		{"harmless query", `{"providers": {"a": {"baseurl": "https://az.example/openai?api-version=2024-06-01", "apikey": "env:A"}}}`, nil},
		{"not HuJSON", `{"providers": `, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ds := LiteralSecrets([]byte(tt.text))
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%d %s", d.Line, d.Path))
				if !strings.Contains(d.Message, d.Path) || !strings.Contains(d.Message, `"env:NAME" or "file:PATH"`) {
					t.Errorf("message names neither the field nor what to write: %s", d.Message)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("refused %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSecretsStayOnTheHost: neither a seed nor a save puts a literal key
// in the shared database, and the error names the field.
func TestSecretsStayOnTheHost(t *testing.T) {
	dsn := pgtest.Database(t)
	a := newReplica(t, dsn, "a", time.Hour)
	literal := `{"providers": {"a": {"apikey": "sk-live-0123456789abcdef"}}}`
	_, err := a.Start(context.Background(), []byte(literal), a.apply)
	if !errors.Is(err, ErrLiteralSecrets) || !strings.Contains(err.Error(), "providers.a.apikey") {
		t.Fatalf("seeding a literal key: %v", err)
	}
	if v := a.start(t, seedText); v.Seq != 1 {
		t.Fatalf("the refused seed left a version: the next seed is version %d", v.Seq)
	}
	var n int
	_, err = a.Save(context.Background(), []byte(literal), "alice")
	var le *LiteralSecretsError
	if !errors.As(err, &le) || len(le.Diags) != 1 || le.Diags[0].Path != "providers.a.apikey" {
		t.Fatalf("saving a literal key: %v", err)
	}
	if err := openDB(t, dsn).QueryRow("SELECT count(*) FROM aperture_config WHERE text LIKE '%sk-live%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the key reached the database (%d rows, %v)", n, err)
	}
}

// TestDSNPasswordNeverSaid: neither New's error for a bad connection
// string nor the listener's failures repeat the password.
func TestDSNPasswordNeverSaid(t *testing.T) {
	const password = "hunter2-secret"
	if _, err := New(Options{DSN: "postgres://u:" + password + "@host:notaport/db"}); err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("bad DSN: %v", err)
	}
	dsn := strings.Replace(pgtest.Database(t), "postgres://postgres@", "postgres://postgres:"+password+"@", 1)
	var mu sync.Mutex
	var logs strings.Builder
	s, err := New(Options{DSN: dsn, PollInterval: time.Hour, Logf: func(f string, a ...any) {
		mu.Lock()
		fmt.Fprintf(&logs, f+"\n", a...)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Start(context.Background(), []byte(seedText), func(Version) error { return nil }); err != nil {
		t.Fatal(err)
	}
	s.connCfg.Database = "no_such_database"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		said := logs.String()
		mu.Unlock()
		if strings.Contains(said, "no_such_database") {
			if strings.Contains(said, password) {
				t.Fatalf("the log says the password:\n%s", said)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listener failure logged:\n%s", said)
		}
	}
}
