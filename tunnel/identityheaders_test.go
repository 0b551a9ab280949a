package tunnel

import (
	"encoding/json"
	"mime"
	"net/http"
	"testing"

	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"
)

func TestEncodeHeaderValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice Smith", "Alice Smith"},
		{"Zoë Ünal", "=?utf-8?q?Zo=C3=AB_=C3=9Cnal?="},
		{"evil\r\nX-Injected: 1", "=?utf-8?q?evil=0D=0AX-Injected:_1?="},
		{"bad \xff utf8", ""},
		{"", ""},
	}
	dec := new(mime.WordDecoder)
	for _, tt := range tests {
		got := EncodeHeaderValue(tt.in)
		if got != tt.want {
			t.Errorf("EncodeHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		if got == "" {
			continue
		}
		if back, err := dec.DecodeHeader(got); err != nil || back != tt.in {
			t.Errorf("decoding %q = %q, %v; want %q", got, back, err, tt.in)
		}
	}
}

func TestSetIdentityHeaders(t *testing.T) {
	user := &apitype.WhoIsResponse{
		Node: &tailcfg.Node{Name: "laptop.example.ts.net."},
		UserProfile: &tailcfg.UserProfile{LoginName: "zoe@example.com", DisplayName: "Zoë",
			ProfilePicURL: "https://example.com/zoe.png"},
		CapMap: tailcfg.PeerCapMap{
			"example.com/cap/llm":        {`{"models":"*"}`},
			"example.com/cap/llm-admin":  {`true`},
			"tailscale.com/cap/aperture": {`{"role":"admin"}`},
		},
	}
	tagged := &apitype.WhoIsResponse{
		Node:        &tailcfg.Node{Name: "ci.example.ts.net.", Tags: []string{"tag:ci", "tag:build"}},
		UserProfile: &tailcfg.UserProfile{LoginName: "tagged-devices", DisplayName: "Tagged Devices"},
	}
	spoofed := http.Header{
		"Tailscale-User-Login":       {"ceo@example.com"},
		"Tailscale-App-Capabilities": {`{"example.com/cap/llm-admin":[true]}`},
		"Tailscale-Funnel-Request":   {"?1"},
		"Tailscale-Tags":             {"tag:prod"},
		"Tailscale-Headers-Info":     {"x"},
		"Authorization":              {"Bearer keep"},
	}
	tests := []struct {
		name     string
		caller   Caller
		prefixes []string
		want     map[string]string // absent key: header must be absent
	}{
		{"user", Caller{WhoIs: user}, []string{"example.com/cap/"}, map[string]string{
			HeaderUserLogin:       "zoe@example.com",
			HeaderUserName:        "=?utf-8?q?Zo=C3=AB?=",
			HeaderUserProfilePic:  "https://example.com/zoe.png",
			HeaderNodeName:        "laptop.example.ts.net",
			HeaderAppCapabilities: `{"example.com/cap/llm":[{"models":"*"}],"example.com/cap/llm-admin":[true]}`,
		}},
		{"exact cap name", Caller{WhoIs: user}, []string{"example.com/cap/llm-admin"}, map[string]string{
			HeaderUserLogin: "zoe@example.com", HeaderUserName: "=?utf-8?q?Zo=C3=AB?=",
			HeaderUserProfilePic: "https://example.com/zoe.png", HeaderNodeName: "laptop.example.ts.net",
			HeaderAppCapabilities: `{"example.com/cap/llm-admin":[true]}`,
		}},
		{"no prefixes: no caps header", Caller{WhoIs: user}, nil, map[string]string{
			HeaderUserLogin: "zoe@example.com", HeaderUserName: "=?utf-8?q?Zo=C3=AB?=",
			HeaderUserProfilePic: "https://example.com/zoe.png", HeaderNodeName: "laptop.example.ts.net",
		}},
		{"tagged device has tags, no user", Caller{WhoIs: tagged}, []string{"example.com/cap/"}, map[string]string{
			HeaderNodeName: "ci.example.ts.net", HeaderTags: "tag:ci,tag:build", HeaderAppCapabilities: `{}`,
		}},
		{"funnel", Caller{WhoIs: user, Funnel: true}, []string{"example.com/cap/"}, map[string]string{
			HeaderFunnelRequest: "?1",
		}},
		{"unknown caller", Caller{}, []string{"example.com/cap/"}, map[string]string{}},
	}
	all := []string{HeaderUserLogin, HeaderUserName, HeaderUserProfilePic, HeaderNodeName, HeaderTags,
		HeaderAppCapabilities, HeaderFunnelRequest, "Tailscale-Headers-Info"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := spoofed.Clone()
			SetIdentityHeaders(h, tt.caller, tt.prefixes)
			for _, name := range all {
				want, ok := tt.want[name]
				got := h.Get(name)
				if !ok && len(h.Values(name)) > 0 {
					t.Errorf("%s = %q, want absent", name, got)
				}
				if ok && got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if h.Get("Authorization") != "Bearer keep" {
				t.Errorf("non-identity header lost")
			}
			if v := h.Get(HeaderAppCapabilities); v != "" && !json.Valid([]byte(v)) {
				t.Errorf("caps header is not JSON: %s", v)
			}
		})
	}
}

func TestFilterCapsNeverNil(t *testing.T) {
	b, _ := json.Marshal(FilterCaps(nil, []string{"x/"}))
	if string(b) != "{}" {
		t.Errorf("FilterCaps(nil) = %s, want {}", b)
	}
}
