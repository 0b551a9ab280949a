package testbin

import (
	"strings"
	"testing"
)

func TestSyncBufferMax(t *testing.T) {
	b := &SyncBuffer{Max: 8}
	for range 3 {
		if n, err := b.Write([]byte("abcdef")); n != 6 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	// The start is kept; writes past Max are accepted and dropped.
	if got := b.String(); got != "abcdefabcdef" {
		t.Errorf("kept %q", got)
	}
	var all SyncBuffer
	all.Write([]byte(strings.Repeat("x", 1000)))
	if len(all.String()) != 1000 {
		t.Error("an unbounded buffer dropped output")
	}
}
