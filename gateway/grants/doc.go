// Package grants decides what a caller may do. It matches the caller's
// identity against the config's grants and the capabilities the tailnet
// policy attached to the caller (WhoIs peer capabilities), unions every
// capability that applies, and answers the questions the gateway asks per
// request: which role, may this model be used, which quota buckets and
// extra headers apply, may metrics be read, which CORS headers to send.
// Access is denied by default and grants only ever add to it.
package grants
