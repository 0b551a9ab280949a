package config

import (
	"testing"
)

func TestLineIndexPosition(t *testing.T) {
	src := []byte("ab\ncd\n\nef")
	li := newLineIndex(src)
	tests := []struct {
		off, line, col int
	}{
		{0, 1, 1},
		{1, 1, 2},
		{2, 1, 3}, // the newline itself
		{3, 2, 1},
		{6, 3, 1},
		{7, 4, 1},
		{8, 4, 2},
		{-5, 1, 1},
	}
	for _, tt := range tests {
		line, col := li.position(tt.off)
		if line != tt.line || col != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, line, col, tt.line, tt.col)
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Severity: Warning, Line: 3, Column: 5, Path: "providers.x", Message: "bad"}, "line 3, col 5: warning: providers.x: bad"},
		{Diagnostic{Severity: Error, Message: "broken"}, "error: broken"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestHasErrors(t *testing.T) {
	if HasErrors([]Diagnostic{{Severity: Warning}}) {
		t.Error("warnings only reported as errors")
	}
	if !HasErrors([]Diagnostic{{Severity: Warning}, {Severity: Error}}) {
		t.Error("error not detected")
	}
}
