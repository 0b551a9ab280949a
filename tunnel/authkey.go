package tunnel

import (
	"fmt"
	"os"
	"strings"
)

// ResolveAuthKey turns the -authkey flag into a key: "file:PATH" reads the
// key from a file (so it stays out of process listings and unit files), an
// empty flag falls back to $TS_AUTHKEY, anything else is the key itself.
func ResolveAuthKey(flag string) (string, error) {
	if flag == "" {
		return strings.TrimSpace(os.Getenv("TS_AUTHKEY")), nil
	}
	if path, ok := strings.CutPrefix(flag, "file:"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading auth key: %w", err)
		}
		k := strings.TrimSpace(string(b))
		if k == "" {
			return "", fmt.Errorf("auth key file %s is empty", path)
		}
		return k, nil
	}
	return flag, nil
}
