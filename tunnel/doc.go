// Package tunnel is what ts-unplug, ts-plug and aperture share about being
// a tailnet device: the tsnet node and its watched state (Node, State),
// the status socket and the `status` lines, forwarding (HTTPForwarder,
// TCPForwarder, NewTransport), the identity headers a plugged server gets
// and the stripping of spoofed ones, the guard that keeps web pages out of
// a local tunnel (BrowserGuard, on package webguard's rule), the set of
// HTTP servers a binary starts and shuts down together (Servers), and the
// command-line pieces the three binaries have in common (NewApp, the node
// flags, exit statuses, state directories, the arguments an installed
// service runs with).
//
// The binaries themselves are tunnel/unplug, tunnel/plug and gateway/app;
// cmd/* only calls their Main.
package tunnel
