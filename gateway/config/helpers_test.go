package config

import "strings"

// hasDiag reports whether some diagnostic has exactly path.
func hasDiag(diags []Diagnostic, path string) bool {
	for _, d := range diags {
		if d.Path == path {
			return true
		}
	}
	return false
}

// hasDiagMsg reports whether some diagnostic at path mentions msg.
func hasDiagMsg(diags []Diagnostic, path, msg string) bool {
	for _, d := range diags {
		if d.Path == path && strings.Contains(d.Message, msg) {
			return true
		}
	}
	return false
}

// diagAt returns the first diagnostic at path.
func diagAt(diags []Diagnostic, path string) (Diagnostic, bool) {
	for _, d := range diags {
		if d.Path == path {
			return d, true
		}
	}
	return Diagnostic{}, false
}

// hasDiagPrefix reports whether some diagnostic's path starts with prefix.
func hasDiagPrefix(diags []Diagnostic, prefix string) bool {
	for _, d := range diags {
		if strings.HasPrefix(d.Path, prefix) {
			return true
		}
	}
	return false
}
