//go:build !linux

package app

// releaseStartupPages does nothing outside Linux: it relies on
// /proc/self/smaps to know which pages are safe to unmap.
func releaseStartupPages() (int64, error) { return 0, nil }
