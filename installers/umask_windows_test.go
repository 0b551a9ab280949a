//go:build windows

package installers

// setUmask is a no-op: Windows has no umask.
func setUmask(int) int { return 0 }
