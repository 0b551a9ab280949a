package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// resolveSecret turns an apikey value into the key itself. "env:NAME"
// reads environment variable NAME and "file:PATH" reads a file (relative
// paths are taken from baseDir), trimming surrounding whitespace; anything
// else is the literal key. Keeping keys out of the config text lets admins
// share and version the config. Errors name the variable or file but never
// include a key.
func resolveSecret(value, baseDir string) (string, error) {
	switch {
	case strings.HasPrefix(value, "env:"):
		name := strings.TrimPrefix(value, "env:")
		if name == "" {
			return "", errors.New("env: reference has no variable name")
		}
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", name)
		}
		return v, nil
	case strings.HasPrefix(value, "file:"):
		p := strings.TrimPrefix(value, "file:")
		if p == "" {
			return "", errors.New("file: reference has no path")
		}
		p = refFilePath(p, baseDir)
		b, err := os.ReadFile(p)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is already in our message
			}
			return "", fmt.Errorf("reading key file %s: %w", p, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("key file %s is empty", p)
		}
		return v, nil
	}
	return value, nil
}

// IsSecretRef reports whether v is an env: or file: reference, which
// resolveSecret reads on the gateway host, rather than a key itself.
func IsSecretRef(v string) bool {
	return strings.HasPrefix(v, "env:") || strings.HasPrefix(v, "file:")
}

// refFilePath is the file a file: reference reads: relative paths are
// taken from baseDir.
func refFilePath(p, baseDir string) string {
	if !filepath.IsAbs(p) && baseDir != "" {
		p = filepath.Join(baseDir, p)
	}
	return p
}

// NormalizeSecretRef returns the form of an env: or file: reference that
// two spellings of the same thing share, so a reference can be compared
// with those a host admin allowed: a file: path becomes absolute (from
// baseDir, as resolveSecret reads it) and clean, so "file:keys/../../x"
// is compared as the file it reads. Other values are returned as they are.
func NormalizeSecretRef(ref, baseDir string) string {
	p, ok := strings.CutPrefix(ref, "file:")
	if !ok || p == "" {
		return ref
	}
	p = refFilePath(p, baseDir)
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return "file:" + filepath.Clean(p)
}
