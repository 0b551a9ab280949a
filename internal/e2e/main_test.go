// Package e2e runs the real binaries as child processes on an offline
// tailnet and checks what users would see.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/testbin"
)

func TestMain(m *testing.M) {
	// End-to-end: it builds the binaries and runs them (make test-short
	// leaves it out).
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short (end-to-end)")
		os.Exit(0)
	}
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// checkEcho writes msg on c and fails t unless the same bytes come back.
func checkEcho(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	go c.Write(msg)
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("tcp echo: %v", err)
	}
}

// freePort is testbin.MustFreePort: a loopback port free a moment ago.
var freePort = testbin.MustFreePort
