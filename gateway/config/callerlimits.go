package config

import "github.com/tailscale/hujson"

// Defaults of CallerLimits: generous for one person's coding agents (a
// few dozen parallel calls, a handful of the largest bodies), small enough
// that one caller cannot exhaust the gateway for everyone else.
const (
	DefaultMaxConcurrentPerCaller    = 64
	DefaultMaxBufferedBytesPerCaller = 256 << 20
)

// CallerLimits bound what one caller (one identity: a login, a set of tags,
// or the local port) may hold on the gateway at once. Past either, a
// request is answered 429 in its API's format.
type CallerLimits struct {
	// MaxConcurrent is how many of the caller's requests may be in flight.
	MaxConcurrent int
	// MaxBufferedBytes is how many request-body bytes the gateway holds for
	// the caller's requests in flight.
	MaxBufferedBytes int64
}

// parseCallerLimits decodes the "caller_limits" object.
func (w *walker) parseCallerLimits(v *hujson.Value, pth string) CallerLimits {
	l := CallerLimits{MaxConcurrent: DefaultMaxConcurrentPerCaller, MaxBufferedBytes: DefaultMaxBufferedBytesPerCaller}
	obj, ok := w.object(v, pth)
	if !ok {
		return l
	}
	w.members(obj, pth, map[string]fieldFunc{
		"max_concurrent_requests": func(v *hujson.Value, pth string) {
			if n, ok := w.integer(v, pth); ok {
				if n < 1 || n > 1_000_000 {
					w.fail(v, pth, "max_concurrent_requests %d out of range (1..1000000)", n)
					return
				}
				l.MaxConcurrent = int(n)
			}
		},
		"max_buffered_bytes": func(v *hujson.Value, pth string) {
			if n, ok := w.integer(v, pth); ok {
				if n < 1<<20 || n > 1<<40 {
					w.fail(v, pth, "max_buffered_bytes %d out of range (1 MiB..1 TiB)", n)
					return
				}
				l.MaxBufferedBytes = n
			}
		},
	})
	return l
}
