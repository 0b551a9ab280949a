package ledger

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestConfigHistory(t *testing.T) {
	clock := newClock(baseTime)
	l, _ := openTest(t, Options{Now: clock.Now})
	ctx := context.Background()
	for i, h := range []string{"h1", "h2", "h3"} {
		if err := l.RecordConfig(ctx, h, "admin@example.com", `{"n":`+string(rune('1'+i))+`}`); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	got, err := l.ConfigHistory(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Hash != "h3" || got[1].Hash != "h2" {
		t.Fatalf("ConfigHistory(2) = %+v, want h3, h2", got)
	}
	if got[0].Config != `{"n":3}` || got[0].Author != "admin@example.com" || !got[0].Time.Equal(baseTime.Add(2*time.Minute)) {
		t.Errorf("newest version = %+v", got[0])
	}
}

// TestConfigHistoryMasksSecrets: every secret of a saved config is
// masked in the history, in the database itself too, and so are versions
// an older gateway stored in clear.
func TestConfigHistoryMasksSecrets(t *testing.T) {
	const (
		key    = "sk-ant-history-key-0123456789"
		header = "hdr-history-secret-0123456789"
		pass   = "url-history-password"
		grantH = "grant-history-secret-012345"
	)
	text := `{
  "providers": {"a": {"baseurl": "https://bob:` + pass + `@llm.example/v1", "apikey": "` + key + `",
    "add_headers": ["X-Token: ` + header + `"]}, "b": {"apikey": "env:B_KEY"}},
  "grants": [{"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"models": "**", "add_headers": ["X-Grant: ` + grantH + `"]}]}}],
}`
	masked := []string{`"apikey": "sk-a…(masked)"`, `"X-Token: hdr-…(masked)"`, `"baseurl": "https://…(masked)@llm.example/v1"`,
		`"X-Grant: gran…(masked)"`, `"apikey": "env:B_KEY"`}
	secrets := []string{key, header, pass, grantH}
	check := func(t *testing.T, what, got string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("%s holds secret %q:\n%s", what, s, got)
			}
		}
		for _, m := range masked {
			if !strings.Contains(got, m) {
				t.Errorf("%s lacks %s:\n%s", what, m, got)
			}
		}
	}
	tests := []struct {
		name   string
		record func(t *testing.T, l *Ledger)
	}{
		{"recorded", func(t *testing.T, l *Ledger) {
			if err := l.RecordConfig(t.Context(), "h1", "admin@example.com", text); err != nil {
				t.Fatal(err)
			}
		}},
		{"stored in clear by an older gateway", func(t *testing.T, l *Ledger) {
			if _, err := l.db.ExecContext(t.Context(), `INSERT INTO config_history (time, hash, author, config) VALUES (1, 'h0', 'a', ?)`, text); err != nil {
				t.Fatal(err)
			}
			// Read before any new save: masked on the way out.
			got, err := l.ConfigHistory(t.Context(), 1)
			if err != nil || len(got) != 1 {
				t.Fatalf("ConfigHistory = %v, %v", got, err)
			}
			check(t, "legacy version as read", got[0].Config)
			// The next save masks it in the database too.
			if err := l.RecordConfig(t.Context(), "h1", "admin@example.com", `{}`); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t, Options{})
			tt.record(t, l)
			got, err := l.ConfigHistory(t.Context(), 10)
			if err != nil || len(got) == 0 {
				t.Fatalf("ConfigHistory = %v, %v", got, err)
			}
			check(t, "history", got[len(got)-1].Config)
			var raw string
			if err := l.db.QueryRowContext(t.Context(), `SELECT string_agg(config, '|') FROM config_history`).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			check(t, "database", raw)
		})
	}
	l, _ := openTest(t, Options{})
	if err := l.RecordConfig(t.Context(), "h", "a", `{"providers": {"a": {"apikey": "`+key+`"`); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.ConfigHistory(t.Context(), 1); len(got) != 1 || got[0].Config != unmaskableConfig {
		t.Errorf("unparseable text kept as %+v", got)
	}
}
