package tailnettest

import (
	"context"
	"testing"
	"time"

	"tailscale.com/tsnet"
)

// New starts an offline tailnet for t and stops it when t ends.
func New(t testing.TB, opts Options) *Tailnet {
	t.Helper()
	if opts.Logf == nil && testing.Verbose() {
		opts.Logf = t.Logf
	}
	tn, err := Start(opts)
	if err != nil {
		t.Fatalf("starting offline tailnet: %v", err)
	}
	t.Cleanup(tn.Close)
	return tn
}

// Node starts an in-process node for t; see NewNode.
func (tn *Tailnet) Node(t testing.TB, hostname string, tags ...string) *tsnet.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := tn.NewNode(ctx, NodeOptions{Hostname: hostname, Tags: tags, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
