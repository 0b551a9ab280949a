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

// TestMatchAllocatesNothing pins issue #16: Match runs on every LLM
// request, and a typical pattern and name must not allocate. The old
// strings.Split version made two allocations per call.
func TestMatchAllocatesNothing(t *testing.T) {
	tests := []struct{ pattern, name string }{
		{"openai/gpt-4o", "openai/gpt-4o"},
		{"anthropic/*", "anthropic/claude-sonnet-4-5"},
		{"**", "openrouter/deepseek/deepseek-r1"},
		{"*/claude-sonnet*", "bedrock/claude-sonnet-4-5"},
		{"openrouter/**", "openrouter/deepseek/deepseek-r1"},
		{"/v1/**", "/v1/chat/completions"},
		{"a/**/z", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/z"}, // 16 segments: the stack limit
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, func() { Match(tt.pattern, tt.name) }); n != 0 {
			t.Errorf("Match(%q, %q) made %v allocations, want 0", tt.pattern, tt.name, n)
		}
	}
}

// referenceMatch is Match as it was before issue #16, kept verbatim (with
// its segment matcher renamed) so FuzzMatch can check that the
// allocation-free version decides every input the same way.
func referenceMatch(pattern, name string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// ok[j] reports whether ps[i:] matches ns[j:], computed from the last
	// pattern segment backwards; O(len(ps)*len(ns)) segment comparisons.
	ok := make([]bool, len(ns)+1)
	next := make([]bool, len(ns)+1)
	ok[len(ns)] = true // empty pattern matches empty name
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p == "**" {
			// "**" absorbs ns[j:k] for any k >= j.
			reach := false
			for j := len(ns); j >= 0; j-- {
				reach = reach || ok[j]
				next[j] = reach
			}
		} else {
			next[len(ns)] = false
			for j := len(ns) - 1; j >= 0; j-- {
				next[j] = ok[j+1] && referenceMatchSegment(p, ns[j])
			}
		}
		ok, next = next, ok
	}
	return ok[0]
}

// referenceMatchSegment is matchSegment as it was before issue #16.
func referenceMatchSegment(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// FuzzMatch checks Match against the pre-issue-#16 implementation on every
// input, against the exponential reference on small ones, and that it
// never panics or hangs on large ones.
func FuzzMatch(f *testing.F) {
	long := strings.Repeat("s/", 20) + "end" // 21 segments: past the stack arrays
	for _, seed := range [][2]string{
		{"anthropic/**", "anthropic/claude"},
		{"openrouter/**", "openrouter/deepseek/deepseek-r1"},
		{"*/claude-sonnet*", "bedrock/claude-sonnet-4"},
		{"**/**/a*b", "x/y/aab"},
		{"", ""},
		{"**/deepseek-r1", "openrouter/deepseek/deepseek-r1"}, // ** at the start
		{"a/**/z", "a/b/c/z"},                                 // ** in the middle
		{"a/**", "a"},                                         // ** at the end, zero segments
		{"*a*b*", "xxaxxbxx"},                                 // * within a segment
		{"a//b", "a//b"},                                      // empty segment
		{"a/*/b", "a//b"},                                     // * matches an empty segment
		{"a/**/b", "a//b"},
		{"/v1/**", "/v1/chat/completions"}, // leading "/"
		{"a/", "a/"},                       // trailing "/"
		{"a/*", "a/"},
		{"/", ""},
		{"**", long},
		{"s/**/end", long},
		{"**/s/*/end", long},
		{long, long},
		{long, long + "/x"},
		{long, long + "/"}, // trailing "/" past the stack arrays
		{strings.Repeat("*/", 20) + "**", long},
		{strings.Repeat("**/", 20) + "end", long},
		{strings.Repeat("s/", 16) + "*", strings.Repeat("s/", 16) + "x"}, // 17 segments
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match(pattern, name)
		if want := referenceMatch(pattern, name); got != want {
			t.Fatalf("Match(%q, %q) = %v, pre-issue-#16 Match says %v", pattern, name, got, want)
		}
		if len(pattern) > 12 || len(name) > 12 {
			return // the reference is exponential
		}
		if want := matchRef(strings.Split(pattern, "/"), strings.Split(name, "/")); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, name, got, want)
		}
	})
}
