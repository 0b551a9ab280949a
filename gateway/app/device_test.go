package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tailscale.com/ipn/ipnstate"
)

func TestRenamedDevice(t *testing.T) {
	tests := []struct {
		requested, dnsName string
		got                string
		renamed            bool
	}{
		{"ai", "ai.tail1234.ts.net.", "ai", false},
		{"ai", "ai.tail1234.ts.net", "ai", false},
		{"ai", "ai-1.tail1234.ts.net.", "ai-1", true},
		{"ai", "ai-12.tail1234.ts.net.", "ai-12", true},
		{"AI", "ai.tail1234.ts.net.", "ai", false},
		{"my_gateway", "my-gateway.tail1234.ts.net.", "my-gateway", false}, // the tailnet's own spelling of the name
		{"ai", "llm.tail1234.ts.net.", "llm", true},
		{"ai", "", "", false}, // not up yet: nothing to compare
	}
	for _, tt := range tests {
		got, renamed := renamedDevice(tt.requested, tt.dnsName)
		if got != tt.got || renamed != tt.renamed {
			t.Errorf("renamedDevice(%q, %q) = %q, %v; want %q, %v", tt.requested, tt.dnsName, got, renamed, tt.got, tt.renamed)
		}
	}
}

func TestRenameNotice(t *testing.T) {
	tests := []struct {
		name, requested, dnsName string
		want                     []string // "" when no notice
	}{
		{"taken", "ai", "ai-1.tail1234.ts.net.", []string{`"ai" was already taken`, `is "ai-1"`, "http://ai reaches the other device", "Machines page", "http://ai-1"}},
		{"renamed otherwise", "ai", "llm.tail1234.ts.net.", []string{`asked to be tailnet device "ai" but is "llm"`, "http://llm"}},
		{"its own name", "ai", "ai.tail1234.ts.net.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := renameNotice(tt.requested, tt.dnsName)
			if (n == "") != (tt.want == nil) {
				t.Fatalf("renameNotice = %q", n)
			}
			for _, w := range tt.want {
				if !strings.Contains(n, w) {
					t.Errorf("notice lacks %q: %s", w, n)
				}
			}
		})
	}
}

func TestKeyExpiryNotice(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	day := 24 * time.Hour
	tests := []struct {
		name   string
		expiry *time.Time
		want   string // "" when no notice
	}{
		{"never expires", nil, ""},
		{"far off", at(90 * day), ""},
		{"just outside the warning", at(14*day + time.Minute), ""},
		{"at the warning", at(14 * day), "expires in 14 days (2026-12-17 12:00 UTC)"},
		{"days", at(3*day + time.Hour), "expires in 3 days"},
		{"hours", at(5*time.Hour + time.Minute), "expires in 5 hours"},
		{"minutes", at(10 * time.Minute), "expires in less than an hour"},
		{"expired", at(-time.Hour), "expired at 2026-12-03 11:00 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := keyExpiryNotice(tt.expiry, now)
			if tt.want == "" {
				if n != "" {
					t.Errorf("notice %q, want none", n)
				}
				return
			}
			if !strings.Contains(n, tt.want) || !strings.Contains(n, "disable key expiry") {
				t.Errorf("notice %q, want it to contain %q and how to fix it", n, tt.want)
			}
		})
	}
}

func TestDeviceNotices(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	soon := now.Add(2 * 24 * time.Hour)
	got := deviceNotices("ai", &ipnstate.PeerStatus{DNSName: "ai-1.tail1234.ts.net.", KeyExpiry: &soon}, now)
	if len(got) != 2 || !strings.Contains(got[0], "already taken") || !strings.Contains(got[1], "expires in 2 days") {
		t.Errorf("deviceNotices = %q", got)
	}
	if got := deviceNotices("ai", &ipnstate.PeerStatus{DNSName: "ai.tail1234.ts.net."}, now); got != nil {
		t.Errorf("a well-named device whose key does not expire: %q", got)
	}
	if got := deviceNotices("ai", nil, now); got != nil {
		t.Errorf("before the device is up: %q", got)
	}
	var none *deviceWatch // no tailnet
	if got := none.Notices(); got != nil {
		t.Errorf("nil watch: %q", got)
	}
}

func TestJoinPlan(t *testing.T) {
	fresh := t.TempDir()
	saved := t.TempDir()
	if err := os.WriteFile(filepath.Join(saved, "tailscaled.state"), []byte(`{"_current-profile":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		dir       string
		authKey   bool
		tags      []string
		ephemeral bool
		want      []string
	}{
		{"saved device", saved, true, []string{"tag:aperture"}, false, []string{"rejoining as the device saved in " + saved}},
		{"interactive", fresh, false, nil, false, []string{`new device "ai"`, "login URL", "whoever logs in owns the device", "expires", "--authkey KEY --advertise-tags tag:aperture"}},
		{"interactive, tagged", fresh, false, []string{"tag:aperture"}, false, []string{"tagged tag:aperture", "login URL", "tagOwners"}},
		{"auth key", fresh, true, nil, false, []string{"with an auth key", "whoever created the key", "expires", "--advertise-tags tag:aperture"}},
		{"auth key, tagged", fresh, true, []string{"tag:aperture", "tag:prod"}, false, []string{"tagged tag:aperture,tag:prod", "belongs to the tags", "does not expire"}},
		{"ephemeral", fresh, true, []string{"tag:ci"}, true, []string{"ephemeral"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := joinPlan("ai", tt.dir, tt.authKey, tt.tags, tt.ephemeral)
			if strings.Contains(line, "\n") {
				t.Errorf("not one line: %q", line)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q lacks %q", line, w)
				}
			}
		})
	}
}
