package unplug

import (
	"runtime"

	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// localUsersUsable says why --local-users cannot work with o, if it
// cannot: the kernel must name socket owners (Linux), and the requests
// must be HTTP, where a header can carry the name.
func localUsersUsable(o options) error {
	switch {
	case !sockowner.Supported:
		return usageError("--local-users is not available on %s: only Linux tells which user owns a loopback connection; "+
			"there, every local user shares this device's identity", runtime.GOOS)
	case o.mode == "tcp":
		return usageError("--local-users needs -mode http: raw TCP has no header to carry the user's name")
	}
	return nil
}
