package config

import (
	"bytes"
	"fmt"
	"sort"
)

// Severity says whether a Diagnostic stops the config from loading.
type Severity int

// Diagnostic severities. A Warning is logged on load (and treated as an
// error when an admin saves a config); an Error makes the document unusable.
const (
	Warning Severity = iota
	Error
)

// String returns "warning" or "error".
func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Diagnostic is one problem found while parsing a config document, located
// by 1-based line and column and by a dotted path such as
// "providers.anthropic.authorization", so the UI and logs can point at it.
// Messages never contain secret values such as API keys.
type Diagnostic struct {
	Severity Severity
	Line     int
	Column   int
	Path     string
	Message  string
}

// String formats the diagnostic as "line 3, col 5: warning: path: message".
func (d Diagnostic) String() string {
	loc := ""
	if d.Line > 0 {
		loc = fmt.Sprintf("line %d, col %d: ", d.Line, d.Column)
	}
	path := ""
	if d.Path != "" {
		path = d.Path + ": "
	}
	return fmt.Sprintf("%s%s: %s%s", loc, d.Severity, path, d.Message)
}

// HasErrors reports whether any diagnostic has Error severity.
func HasErrors(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// lineIndex maps byte offsets of a source text to 1-based lines and columns.
type lineIndex []int // byte offsets at which each line starts

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return idx
		}
		off += i + 1
		idx = append(idx, off)
	}
}

// position returns the 1-based line and column of byte offset off.
func (li lineIndex) position(off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	i := sort.Search(len(li), func(i int) bool { return li[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - li[i] + 1
}
