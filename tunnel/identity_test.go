package tunnel

import "testing"

func TestUpLine(t *testing.T) {
	tests := []struct {
		name          string
		st            State
		wantPrincipal string
		want          string
	}{
		{
			name:          "user device",
			st:            State{Hostname: "laptop", DNSName: "laptop.tailnet.ts.net", LoginName: "alice@example.com"},
			wantPrincipal: "alice@example.com",
			want:          "ts-unplug is up as laptop.tailnet.ts.net (alice@example.com); requests through it are billed to alice@example.com",
		},
		{
			name:          "tagged device: the tags, sorted, whatever the login says",
			st:            State{Hostname: "ci", DNSName: "ci.tailnet.ts.net", LoginName: "tagged-devices", Tags: []string{"tag:dev", "tag:ci"}},
			wantPrincipal: "tag:ci,tag:dev",
			want:          "ts-unplug is up as ci.tailnet.ts.net (tagged tag:dev, tag:ci, no user); requests through it are billed to tag:ci,tag:dev, shared by every device with those tags",
		},
		{
			name:          "no MagicDNS name",
			st:            State{Hostname: "laptop", LoginName: "bob@example.com"},
			wantPrincipal: "bob@example.com",
			want:          "ts-unplug is up as laptop (bob@example.com); requests through it are billed to bob@example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.Principal(); got != tt.wantPrincipal {
				t.Errorf("Principal() = %q, want %q", got, tt.wantPrincipal)
			}
			if got := tt.st.UpLine("ts-unplug"); got != tt.want {
				t.Errorf("UpLine() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
