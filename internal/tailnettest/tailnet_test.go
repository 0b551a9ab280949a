package tailnettest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/ipn/store/mem"
	"tailscale.com/tailcfg"
	"tailscale.com/tsnet"
	"tailscale.com/types/logger"
)

const capTest = tailcfg.PeerCapability("tailscale.com/cap/aperture")

// serveWhoIs makes srv answer GET /whois on tailnet port 80 with the WhoIs
// of the caller.
func serveWhoIs(t *testing.T, srv *tsnet.Server) {
	t.Helper()
	ln, err := srv.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	lc, err := srv.LocalClient()
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, err := lc.WhoIs(r.Context(), r.RemoteAddr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(who)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
}

func whois(ctx context.Context, t *testing.T, from *tsnet.Server, url string) *apitype.WhoIsResponse {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := from.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", url, res.Status, body)
	}
	var w apitype.WhoIsResponse
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

func TestTwoNodesWhoIsAndCaps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := New(t, Options{})
	ai := tn.Node(t, "ai")
	client := tn.Node(t, "client")
	serveWhoIs(t, ai)

	lc, _ := client.LocalClient()
	st, err := lc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantLogin := st.User[st.Self.UserID].LoginName

	// By MagicDNS short name, as users type it.
	w := whois(ctx, t, client, "http://ai/whois")
	if got := w.UserProfile.LoginName; got != wantLogin {
		t.Errorf("login = %q, want %q", got, wantLogin)
	}
	if got, want := w.Node.Name, "client."+DefaultDomain+"."; got != want {
		t.Errorf("node name = %q, want %q", got, want)
	}
	if _, ok := w.CapMap[capTest]; ok {
		t.Fatalf("cap present before it was granted: %v", w.CapMap)
	}

	tn.SetAppCaps(tailcfg.PeerCapMap{capTest: {`{"role":"admin"}`}})
	waitFor(t, ctx, func() error {
		w := whois(ctx, t, client, "http://ai/whois")
		if got := fmt.Sprint(w.CapMap[capTest]); got != `[{"role":"admin"}]` {
			return fmt.Errorf("cap = %s", got)
		}
		return nil
	})
	tn.SetAppCaps(nil)
	waitFor(t, ctx, func() error {
		if w := whois(ctx, t, client, "http://ai/whois"); len(w.CapMap[capTest]) != 0 {
			return fmt.Errorf("cap still there after revoke")
		}
		return nil
	})

	if err := tn.SetNodeAttrs("client", tailcfg.NodeCapMap{"example.com/attr": {`{"tier":"gold"}`}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() error {
		w := whois(ctx, t, client, "http://ai/whois")
		if got := fmt.Sprint(w.Node.CapMap["example.com/attr"]); got != `[{"tier":"gold"}]` {
			return fmt.Errorf("node attr = %s", got)
		}
		return nil
	})
}

func TestTaggedNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := New(t, Options{TagOwners: map[string][]string{"tag:ci": nil, "tag:prod": nil}})
	ai := tn.Node(t, "ai")
	ci := tn.Node(t, "runner", "tag:prod", "tag:ci")
	serveWhoIs(t, ai)
	w := whois(ctx, t, ci, "http://ai/whois")
	if got := strings.Join(w.Node.Tags, ","); got != "tag:prod,tag:ci" && got != "tag:ci,tag:prod" {
		t.Errorf("tags = %q", got)
	}
}

func TestDeviceApproval(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := New(t, Options{RequireApproval: true})
	s := &tsnet.Server{Dir: t.TempDir(), Hostname: "laptop", ControlURL: tn.ControlURL,
		AuthKey: tn.AuthKey, Store: new(mem.Store), Ephemeral: true, Logf: logger.Discard, UserLogf: logger.Discard}
	defer s.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	lc, _ := s.LocalClient()
	waitFor(t, ctx, func() error {
		if got := tn.WaitingDevices(); fmt.Sprint(got) != "[laptop]" {
			return fmt.Errorf("waiting = %v", got)
		}
		return nil
	})
	st, _ := lc.Status(ctx)
	if st.BackendState == "Running" {
		t.Fatalf("device is Running before approval")
	}
	if err := tn.ApproveDevice("laptop"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() error {
		st, err := lc.Status(ctx)
		if err != nil {
			return err
		}
		if st.BackendState != "Running" {
			return fmt.Errorf("state %s", st.BackendState)
		}
		return nil
	})
	if len(tn.WaitingDevices()) != 0 {
		t.Errorf("still waiting after approval: %v", tn.WaitingDevices())
	}
	if err := tn.ApproveDevice("laptop"); err == nil {
		t.Errorf("approving twice succeeded")
	}
}

func TestWrongAuthKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tn := New(t, Options{})
	s := &tsnet.Server{Dir: t.TempDir(), Hostname: "intruder", ControlURL: tn.ControlURL,
		AuthKey: "tskey-wrong", Store: new(mem.Store), Ephemeral: true, Logf: logger.Discard, UserLogf: logger.Discard}
	defer s.Close()
	if _, err := s.Up(ctx); err == nil || !strings.Contains(err.Error(), "invalid authkey") {
		t.Fatalf("Up with a wrong key: err = %v, want invalid authkey", err)
	}
}

// waitFor polls f until it returns nil or ctx ends.
func waitFor(t *testing.T, ctx context.Context, f func() error) {
	t.Helper()
	var err error
	for {
		if err = f(); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}
