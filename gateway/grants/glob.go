package grants

import "strings"

// stackSegments is how many segments of a pattern or a name Match splits
// into arrays on its stack. Model FQNs and URL paths have a handful, so
// the common case allocates nothing; longer ones spill to the heap.
const stackSegments = 16

// Match reports whether name matches the slash-separated glob pattern.
// Within a segment "*" matches any run of characters except "/"; a
// segment that is exactly "**" matches zero or more whole segments. So
// "anthropic/**" matches every Anthropic model, "*/claude-sonnet*" a model
// of any provider whose ID is one segment starting with "claude-sonnet",
// and "openrouter/**" matches "openrouter/deepseek/deepseek-r1" even though
// that model ID itself contains a slash. All other characters match
// themselves. The same rules serve model FQNs and URL paths.
//
// Match runs on every LLM request, so it splits into stack arrays rather
// than with strings.Split and allocates nothing for at most stackSegments
// segments (issue #16).
func Match(pattern, name string) bool {
	var psBuf, nsBuf [stackSegments]string
	ps := splitSegments(pattern, psBuf[:0])
	ns := splitSegments(name, nsBuf[:0])
	// ok[j] reports whether ps[i:] matches ns[j:], computed from the last
	// pattern segment backwards; O(len(ps)*len(ns)) segment comparisons.
	var okBuf, nextBuf [stackSegments + 1]bool
	ok, next := okBuf[:], nextBuf[:]
	if len(ns)+1 > len(ok) {
		ok = make([]bool, len(ns)+1)
		next = make([]bool, len(ns)+1)
	}
	ok, next = ok[:len(ns)+1], next[:len(ns)+1]
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

// splitSegments appends the "/"-separated segments of s to segs, exactly
// as strings.Split(s, "/") would return them (so "" is one empty segment),
// and returns the result. Passing a slice of a stack array keeps the
// split off the heap while it fits.
func splitSegments(s string, segs []string) []string {
	for {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return append(segs, s)
		}
		segs = append(segs, s[:i])
		s = s[i+1:]
	}
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
