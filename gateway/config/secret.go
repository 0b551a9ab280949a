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
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
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
