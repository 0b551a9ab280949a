package grants

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"**", "anthropic/claude-sonnet-4-5", true},
		{"**", "openrouter/deepseek/deepseek-r1", true},
		{"**", "", true},
		{"anthropic/**", "anthropic/claude-sonnet-4-5", true},
		{"anthropic/**", "anthropic", true}, // ** may be zero segments
		{"anthropic/**", "openai/gpt-5", false},
		{"anthropic/**", "anthropicx/claude", false},
		{"openrouter/**", "openrouter/deepseek/deepseek-r1", true},
		{"openrouter/*", "openrouter/deepseek/deepseek-r1", false},
		{"openrouter/*/*", "openrouter/deepseek/deepseek-r1", true},
		{"openrouter/deepseek/*", "openrouter/deepseek/deepseek-r1", true},
		{"openai/gpt-5", "openai/gpt-5", true},
		{"openai/gpt-5", "openai/gpt-5-mini", false},
		{"openai/gpt-5*", "openai/gpt-5-mini", true},
		{"*/claude-sonnet*", "anthropic/claude-sonnet-4-5", true},
		{"*/claude-sonnet*", "bedrock/claude-sonnet-4-5", true},
		{"*/claude-sonnet*", "openrouter/anthropic/claude-sonnet-4", false},
		{"*/claude-opus*", "anthropic/claude-sonnet-4-5", false},
		{"aperture-*/**", "aperture-local/llama/3", true},
		{"aperture-*/**", "other/llama", false},
		{"*", "anthropic/claude", false},
		{"*", "anthropic", true},
		{"**/deepseek-r1", "openrouter/deepseek/deepseek-r1", true},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z", true},
		{"a/**/z", "a/b/c/y", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"a**b/c", "axyzb/c", true}, // ** inside a segment acts like *
		{"/v1/**", "/v1/chat/completions", true},
		{"/v1/*", "/v1/chat/completions", false},
		{"/**", "/anything/at/all", true},
		{"/v1/messages", "/v1/messages", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestMatchSegment(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"**", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*x", "aaax", true},
		{"x*", "y", false},
		{"a*a*a", "aaaa", true},
		{"a*a*a", "aa", false},
	}
	for _, tt := range tests {
		if got := matchSegment(tt.p, tt.s); got != tt.want {
			t.Errorf("matchSegment(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

// matchRef is an obviously correct exponential reference implementation.
func matchRef(ps, ns []string) bool {
	if len(ps) == 0 {
		return len(ns) == 0
	}
	if ps[0] == "**" {
		for k := 0; k <= len(ns); k++ {
			if matchRef(ps[1:], ns[k:]) {
				return true
			}
		}
		return false
	}
	return len(ns) > 0 && segRef(ps[0], ns[0]) && matchRef(ps[1:], ns[1:])
}

func segRef(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for k := 0; k <= len(s); k++ {
			if segRef(p[1:], s[k:]) {
				return true
			}
		}
		return false
	}
	return s != "" && p[0] == s[0] && segRef(p[1:], s[1:])
}

// FuzzMatch checks Match against the reference implementation on small
// inputs and that it never panics or hangs on large ones.
func FuzzMatch(f *testing.F) {
	f.Add("anthropic/**", "anthropic/claude")
	f.Add("openrouter/**", "openrouter/deepseek/deepseek-r1")
	f.Add("*/claude-sonnet*", "bedrock/claude-sonnet-4")
	f.Add("**/**/a*b", "x/y/aab")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match(pattern, name)
		if len(pattern) > 12 || len(name) > 12 {
			return // the reference is exponential
		}
		if want := matchRef(strings.Split(pattern, "/"), strings.Split(name, "/")); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, name, got, want)
		}
	})
}
