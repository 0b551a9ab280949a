package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/tunnel/sockowner"
)

// TestUnplugLocalUsers: the real ts-unplug with --local-users names, to
// the tailnet target, the local OS user whose program opened each
// connection, as the kernel knows it, whatever the program claims.
func TestUnplugLocalUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if !sockowner.Supported {
		t.Skip("Linux only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	ai := tn.Node(t, "ai")
	serveEchoNode(t, ai)
	base, _, _ := startUnplug(t, tn, "shared-box", "--local-users", "ai")
	waitHTTP(ctx, t, base+"/whoami", 200).Body.Close()

	want := sockowner.UserName(uint32(os.Getuid()))
	// A raw request that forges the header in three spellings, on one
	// keep-alive connection twice (the owner is looked up once per
	// connection and must hold for every request on it).
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	for i := range 2 {
		io.WriteString(c, "GET /whoami HTTP/1.1\r\nHost: localhost\r\nTailscale-Local-User: root-pretender\r\n"+
			"Tailscale_Local_User: evil\r\nX-Tailscale-Local-User: evil\r\n\r\n")
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		var got struct{ Headers http.Header }
		err = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("request %d: status %d, %v", i, res.StatusCode, err)
		}
		if v := got.Headers.Values("Tailscale-Local-User"); len(v) != 1 || v[0] != want {
			t.Errorf("request %d: target got Tailscale-Local-User %q, want [%q]", i, v, want)
		}
		for k, v := range got.Headers {
			if strings.Contains(strings.ToLower(k), "tailscale") && k != "Tailscale-Local-User" {
				t.Errorf("request %d: forged %s = %q reached the target", i, k, v)
			}
		}
	}
}
