package config

import (
	"testing"

	"github.com/tailscale/hujson"
)

func TestToJSONStripsHuJSON(t *testing.T) {
	v, err := hujson.Parse([]byte(`{ // c
		"a": [1, 2,], /* x */ "b": {"c": "d",},
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(toJSON(&v)), `{"a":[1,2],"b":{"c":"d"}}`; got != want {
		t.Errorf("toJSON = %s, want %s", got, want)
	}
}

func TestEditDistanceAndSuggest(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"basurl", "baseurl", 1},
		{"kitten", "sitting", 3},
		{"abc", "abc", 0},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	fields := map[string]fieldFunc{"baseurl": nil, "models": nil}
	if got := suggest("basurl", fields); got != `; did you mean "baseurl"?` {
		t.Errorf("suggest(basurl) = %q", got)
	}
	if got := suggest("zzzzzzzz", fields); got != "" {
		t.Errorf("suggest(zzzzzzzz) = %q, want none", got)
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"", "providers", "providers"},
		{"providers", "openai", "providers.openai"},
		{"grants[0].app", "tailscale.com/cap/aperture", `grants[0].app["tailscale.com/cap/aperture"]`},
	}
	for _, tt := range tests {
		if got := joinPath(tt.path, tt.key); got != tt.want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tt.path, tt.key, got, tt.want)
		}
	}
}
