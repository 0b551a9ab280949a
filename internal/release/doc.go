// Package release holds the tests of how releases are built: `make dist`
// must build every command for every supported platform, with checksums.
// It has no code of its own.
package release
