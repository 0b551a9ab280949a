package grants

import "strings"

// Match reports whether name matches the slash-separated glob pattern.
// Within a segment "*" matches any run of characters except "/"; a
// segment that is exactly "**" matches zero or more whole segments. So
// "anthropic/**" matches every Anthropic model, "*/claude-sonnet*" a model
// of any provider whose ID is one segment starting with "claude-sonnet",
// and "openrouter/**" matches "openrouter/deepseek/deepseek-r1" even though
// that model ID itself contains a slash. All other characters match
// themselves. The same rules serve model FQNs and URL paths.
func Match(pattern, name string) bool {
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
				next[j] = ok[j+1] && matchSegment(p, ns[j])
			}
		}
		ok, next = next, ok
	}
	return ok[0]
}

// matchSegment matches one segment against a pattern in which "*" matches
// any run of characters. It runs in O(len(p)*len(s)) worst case by
// backtracking only to the most recent star.
func matchSegment(p, s string) bool {
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
