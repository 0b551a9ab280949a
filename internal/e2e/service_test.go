package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
	"tailscale.com/ipn"
	"tailscale.com/tailcfg"
)

// serviceVIP is the address the test, playing control, gives svc:ai.
var serviceVIP = netip.MustParseAddr("100.80.0.80")

// TestGatewayAsTailscaleService runs aperture as one replica behind the
// Tailscale Service svc:ai (--service) and checks what its callers see:
// a tailnet device that calls the Service is identified as itself (the
// caller's address comes through tsnet's PROXY header), a local process
// that connects straight to the loopback port tsnet forwards from is
// refused even with a well-formed header, and SIGTERM withdraws the
// Service, lets a stream in flight finish, and exits cleanly.
//
// tailscale's test control server has no Service support (no VIP
// allocation, no host approval, no AdvertiseServices handling), so the
// test plays control by hand as tsnet's own TestListenService does: it
// gives the replica the service-host node attribute mapping svc:ai to a
// VIP, routes the VIP to it as a subnet route, and adds a DNS record;
// the client accepts routes. What this cannot show: control approving
// hosts, moving the VIP to another replica when one withdraws or dies,
// and how long clients take to follow.
func TestGatewayAsTailscaleService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{TagOwners: map[string][]string{"tag:aperture": nil}})
	// Each streamed answer takes about 2 s, long enough to be in flight
	// when the replica is told to stop.
	fake := fakellm.New(fakellm.WithRequiredKey(""), fakellm.WithChunks(20), fakellm.WithPacing(100*time.Millisecond))
	fakeURL, err := fake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	state := filepath.Join(t.TempDir(), "aperture")
	os.MkdirAll(state, 0o700)
	cfgPath := filepath.Join(state, "config.hujson")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(gatewayConfig, fakeURL, "", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	ap := testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "aperture"),
		"--state-dir", state, "--config", cfgPath, "--hostname", "ai-1", "--service", "svc:ai",
		"--advertise-tags", "tag:aperture", "--control-url", tn.ControlURL, "--authkey", tn.AuthKey)
	if err := ap.WaitOutput(ctx, "advertising the Tailscale Service svc:ai"); err != nil {
		t.Fatal(err)
	}
	loopback := regexp.MustCompile(`forwards it over (\S+),`).FindStringSubmatch(ap.Output())
	if loopback == nil {
		t.Fatalf("the log does not say which loopback port tsnet forwards from:\n%s", ap.Output())
	}

	// Control: ai-1 hosts svc:ai at serviceVIP.
	key, err := tn.NodeKey("ai-1")
	if err != nil {
		t.Fatal(err)
	}
	ipMap, _ := json.Marshal(tailcfg.ServiceIPMappings{"svc:ai": {serviceVIP}})
	attrs := maps.Clone(tn.Control.Node(key).CapMap)
	if attrs == nil {
		attrs = tailcfg.NodeCapMap{}
	}
	attrs[tailcfg.NodeAttrServiceHost] = []tailcfg.RawMessage{tailcfg.RawMessage(ipMap)}
	tn.Control.SetNodeCapMap(key, attrs)
	tn.Control.SetSubnetRoutes(key, []netip.Prefix{netip.PrefixFrom(serviceVIP, 32)})
	fqdn := "ai." + tn.Domain
	tn.Control.AddDNSRecords(tailcfg.DNSRecord{Name: fqdn, Value: serviceVIP.String()})
	tn.SetAppCaps(tailcfg.PeerCapMap{"tailscale.com/cap/aperture": {`{"role":"user"}`, `{"models":"**"}`}})

	laptop := tn.Node(t, "laptop")
	lc, err := laptop.LocalClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.EditPrefs(ctx, &ipn.MaskedPrefs{RouteAllSet: true, Prefs: ipn.Prefs{RouteAll: true}}); err != nil {
		t.Fatal(err)
	}
	st, err := lc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantLogin := st.User[st.Self.UserID].LoginName
	laptopIP := st.TailscaleIPs[0]
	client := laptop.HTTPClient()
	client.Timeout = 10 * time.Second

	type whoami struct {
		LoginName string `json:"login_name"`
		Node      string
		Role      string
	}
	getWhoAmI := func(url string) (whoami, error) {
		res, err := client.Get(url)
		if err != nil {
			return whoami{}, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			return whoami{}, fmt.Errorf("%s: %d %s", url, res.StatusCode, b)
		}
		var w whoami
		return w, json.Unmarshal(b, &w)
	}

	t.Run("a caller of the Service is identified as itself", func(t *testing.T) {
		var got whoami
		testbin.WaitUntil(t, time.Minute, func() (err error) {
			got, err = getWhoAmI("http://" + fqdn + "/api/whoami")
			if err == nil && got.Role != "user" {
				err = fmt.Errorf("role %q: the policy grant has not arrived yet", got.Role)
			}
			return err
		})
		if got.LoginName != wantLogin || !strings.HasPrefix(got.Node, "laptop.") {
			t.Errorf("through svc:ai the gateway saw %+v, want login %s on laptop", got, wantLogin)
		}
		// The replica's own name still works, with the same identity.
		own, err := getWhoAmI("http://ai-1/api/whoami")
		if err != nil || own.LoginName != wantLogin || own.Node != got.Node {
			t.Errorf("by the replica's own name: %+v, %v", own, err)
		}
	})

	t.Run("a local process connecting to the loopback port is refused", func(t *testing.T) {
		c, err := net.Dial("tcp", loopback[1])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A well-formed PROXY v2 header naming laptop, then a request:
		// were it believed, the answer would be laptop's identity.
		hdr := append([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c"), laptopIP.AsSlice()...)
		hdr = append(hdr, serviceVIP.AsSlice()...)
		hdr = binary.BigEndian.AppendUint16(hdr, 40000)
		hdr = binary.BigEndian.AppendUint16(hdr, 80)
		c.Write(append(hdr, "GET /api/whoami HTTP/1.1\r\nHost: "+fqdn+"\r\n\r\n"...))
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if b, err := io.ReadAll(c); len(b) > 0 || os.IsTimeout(err) {
			t.Fatalf("the forged connection was answered (%v): %q", err, b)
		}
		if err := ap.WaitOutput(ctx, "refused a connection from 127.0.0.1:"); err != nil {
			t.Error(err)
		}
	})

	t.Run("SIGTERM withdraws the Service and lets a stream finish", func(t *testing.T) {
		// What the replica tells control it hosts (Hostinfo.ServicesHash
		// covers each Service's name, ports and whether it is advertised).
		servicesHash := func() string { return tn.Control.Node(key).Hostinfo.ServicesHash() }
		advertised := servicesHash()
		if advertised == "" {
			t.Fatal("the replica told control of no Service")
		}
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+fqdn+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body := bufio.NewReader(res.Body)
		first, err := body.ReadString('\n') // the stream has begun
		if res.StatusCode != 200 || err != nil {
			t.Fatalf("stream: %d %q %v", res.StatusCode, first, err)
		}
		ap.Signal(syscall.SIGTERM)
		if err := ap.WaitOutput(ctx, "stopped advertising the Tailscale Service svc:ai"); err != nil {
			t.Fatal(err)
		}
		testbin.WaitUntil(t, 20*time.Second, func() error {
			if servicesHash() == advertised {
				return errors.New("control has not heard that the replica stopped advertising svc:ai")
			}
			return nil
		})
		rest, err := io.ReadAll(body)
		if err != nil || !strings.Contains(string(rest), "[DONE]") {
			t.Errorf("the stream in flight was cut off: %v, read %q", err, rest)
		}
		if code, err := ap.Wait(ctx); code != 0 || err != nil {
			t.Errorf("aperture after SIGTERM: exit %d %v", code, err)
		}
		out := ap.Output()
		if w, s := strings.Index(out, "stopped advertising"), strings.Index(out, "shutting down: letting in-flight"); w < 0 || s < w {
			t.Errorf("the Service was not withdrawn before the drain began:\n%s", out)
		}
	})
}

// TestGatewayServiceNeedsTag: a replica asked to host a Service on an
// untagged device (tsnet refuses it) stops and says how to fix it,
// rather than run on without answering as the Service.
func TestGatewayServiceNeedsTag(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	state := filepath.Join(t.TempDir(), "aperture")
	ap := testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "aperture"),
		"--state-dir", state, "--hostname", "ai-1", "--service", "svc:ai",
		"--control-url", tn.ControlURL, "--authkey", tn.AuthKey)
	if code, err := ap.Wait(ctx); code != 1 || err != nil {
		t.Fatalf("aperture --service on an untagged device: exit %d %v, want 1", code, err)
	}
	if out := ap.Output(); !strings.Contains(out, "service hosts must be tagged nodes: start it with --advertise-tags tag:aperture") {
		t.Errorf("the error does not say what to do:\n%s", out)
	}
}
