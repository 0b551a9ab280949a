package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/internal/fakellm"
	"github.com/tsplug/ts-plug/internal/tailnettest"
	"github.com/tsplug/ts-plug/internal/testbin"
	"tailscale.com/tailcfg"
	"tailscale.com/tsnet"
)

// startPlug starts the real ts-plug binary joined to tn as hostname and
// returns it and its state dir. extra are more flags, then "--" COMMAND.
func startPlug(t *testing.T, tn *tailnettest.Tailnet, env []string, hostname string, extra ...string) (*testbin.Proc, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plug-"+hostname)
	args := []string{"-dir", dir, "-hostname", hostname, "-control-url", tn.ControlURL, "-authkey", tn.AuthKey}
	return testbin.Start(t, append(tn.ChildEnv(), env...), testbin.Build(t, "ts-plug"), append(args, extra...)...), dir
}

// tailnetGet GETs url from an in-process tailnet node, retrying while the
// tailnet is still learning about the plugged device.
func tailnetGet(ctx context.Context, t *testing.T, from *tsnet.Server, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	c := from.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var res *http.Response
	var b []byte
	testbin.WaitUntil(t, time.Minute, func() error {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		r, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusServiceUnavailable {
			return fmt.Errorf("GET %s: 503 %s", url, body)
		}
		res, b = r, body
		return nil
	})
	return res, b
}

// loginOf is the login name of node s, as WhoIs reports it to others.
func loginOf(ctx context.Context, t *testing.T, s *tsnet.Server) string {
	t.Helper()
	lc, _ := s.LocalClient()
	st, err := lc.StatusWithoutPeers(ctx)
	if err != nil || st.Self == nil {
		t.Fatalf("status of caller: %v", err)
	}
	return st.User[st.Self.UserID].LoginName
}

// headerEcho is a local server that answers /whoami with the request's
// Host and headers, /sse with events paced by the test, and a raw TCP
// echo on another port.
type headerEcho struct {
	url     string
	tcpAddr string
	sseStep chan struct{}
}

func startHeaderEcho(t *testing.T) *headerEcho {
	t.Helper()
	e := &headerEcho{sseStep: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "headers": r.Header})
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-e.sseStep:
			case <-r.Context().Done():
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	e.tcpAddr = ln.Addr().String()
	return e
}

type echoed struct {
	Host    string
	Headers http.Header
}

func TestPlugIdentityTCPAndSSE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{TagOwners: map[string][]string{"tag:ci": nil}})
	up := startHeaderEcho(t)
	proc, dir := startPlug(t, tn, nil, "web", "-upstream", up.url, "-caps-prefix", "example.com/cap/",
		"-tcp", "7000="+up.tcpAddr)
	tn.SetAppCaps(tailcfg.PeerCapMap{
		"example.com/cap/web":        {`{"role":"admin"}`},
		"tailscale.com/cap/aperture": {`{"role":"user"}`},
	})
	alice := tn.Node(t, "alice")
	ci := tn.Node(t, "ci", "tag:ci")
	if err := proc.WaitOutput(ctx, "ready: http://web."); err != nil {
		t.Fatal(err)
	}

	t.Run("user identity; spoofed headers never reach the server", func(t *testing.T) {
		spoof := http.Header{
			"Tailscale-User-Login":       {"ceo@example.com"},
			"Tailscale-User-Name":        {"The CEO"},
			"Tailscale-Tags":             {"tag:prod"},
			"Tailscale-App-Capabilities": {`{"example.com/cap/web":[{"role":"owner"}]}`},
			"Tailscale-Funnel-Request":   {"?1"},
		}
		res, b := tailnetGet(ctx, t, alice, "http://web/whoami", spoof)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %s", res.Status, b)
		}
		var got echoed
		json.Unmarshal(b, &got)
		h := got.Headers
		if want := loginOf(ctx, t, alice); h.Get("Tailscale-User-Login") != want {
			t.Errorf("Tailscale-User-Login = %q, want %q (alice's)", h.Get("Tailscale-User-Login"), want)
		}
		if h.Get("Tailscale-User-Name") == "The CEO" || h.Get("Tailscale-User-Name") == "" {
			t.Errorf("Tailscale-User-Name = %q", h.Get("Tailscale-User-Name"))
		}
		if !strings.HasPrefix(h.Get("Tailscale-Node-Name"), "alice.") {
			t.Errorf("Tailscale-Node-Name = %q, want alice.*", h.Get("Tailscale-Node-Name"))
		}
		if v := h.Get("Tailscale-App-Capabilities"); v != `{"example.com/cap/web":[{"role":"admin"}]}` {
			t.Errorf("Tailscale-App-Capabilities = %q (only the -caps-prefix caps, from the tailnet)", v)
		}
		for _, k := range []string{"Tailscale-Tags", "Tailscale-Funnel-Request"} {
			if v := h.Values(k); len(v) > 0 {
				t.Errorf("spoofed %s reached the server: %q", k, v)
			}
		}
		if len(h.Values("Tailscale-User-Login")) != 1 {
			t.Errorf("Tailscale-User-Login has several values: %q", h.Values("Tailscale-User-Login"))
		}
		if got.Host != "web" {
			t.Errorf("server saw Host %q, want the name the caller used", got.Host)
		}
	})

	t.Run("tagged device", func(t *testing.T) {
		res, b := tailnetGet(ctx, t, ci, "http://web/whoami", http.Header{"Tailscale-User-Login": {"ceo@example.com"}})
		if res.StatusCode != 200 {
			t.Fatalf("%s: %s", res.Status, b)
		}
		var got echoed
		json.Unmarshal(b, &got)
		h := got.Headers
		if h.Get("Tailscale-Tags") != "tag:ci" || !strings.HasPrefix(h.Get("Tailscale-Node-Name"), "ci.") {
			t.Errorf("tags %q node %q", h.Get("Tailscale-Tags"), h.Get("Tailscale-Node-Name"))
		}
		if v := h.Get("Tailscale-User-Login"); v != "" {
			t.Errorf("a tagged device has no user, got Tailscale-User-Login %q", v)
		}
	})

	t.Run("sse incremental", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://web/sse", nil)
		res, err := alice.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		for i := 0; i < 3; i++ {
			line, err := br.ReadString('\n')
			if want := fmt.Sprintf("data: event %d\n", i); err != nil || line != want {
				t.Fatalf("event %d: %q %v, want %q", i, line, err, want)
			}
			br.ReadString('\n')
			// The next event is sent only once this one was read here: a
			// buffering proxy would deadlock.
			up.sseStep <- struct{}{}
		}
	})

	t.Run("tcp mapping", func(t *testing.T) {
		c, err := alice.Dial(ctx, "tcp", "web:7000")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		checkEcho(t, c, bytes.Repeat([]byte("raw tcp "), 2000))
	})

	t.Run("status", func(t *testing.T) {
		out, code := runBin(t, tn, "ts-plug", "status", "-dir", dir)
		if code != 0 {
			t.Fatalf("status exit %d: %s", code, out)
		}
		for _, want := range []string{"state:       running", "web.", "tailnet http port 80 -> " + up.url,
			"tailnet tcp port 7000", "local:       answering", "requests"} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
	})

	proc.Signal(syscall.SIGTERM)
	if code, err := proc.Wait(ctx); code != 0 || err != nil {
		t.Errorf("after SIGTERM: exit %d %v", code, err)
	}
}

// TestPlugHelperServer is not a test: it is the local server that
// TestPlugCommand has ts-plug start (the test binary run again). It
// takes a moment to start, as a model server does, then listens on $PORT
// and answers with the request headers. On SIGTERM it exits with
// $TSPLUG_E2E_HELPER_EXIT.
func TestPlugHelperServer(t *testing.T) {
	if os.Getenv("TSPLUG_E2E_HELPER") != "1" {
		t.Skip("helper process for TestPlugCommand")
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Printf("helper: started, PORT=%s TS_PLUG_URL=%s\n", os.Getenv("PORT"), os.Getenv("TS_PLUG_URL"))
	// A slow start on purpose: ts-plug must wait for the port to open,
	// not take the process's start for readiness.
	time.Sleep(1500 * time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Println("helper:", err)
		os.Exit(50)
	}
	fmt.Println("helper: listening")
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "headers": r.Header})
	}))
	<-term
	fmt.Println("helper: got SIGTERM")
	code, _ := strconv.Atoi(os.Getenv("TSPLUG_E2E_HELPER_EXIT"))
	os.Exit(code)
}

func TestPlugCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	port := freePort(t)
	proc, _ := startPlug(t, tn, []string{"TSPLUG_E2E_HELPER=1", "TSPLUG_E2E_HELPER_EXIT=3"}, "app",
		"-upstream", port, "--", os.Args[0], "-test.run=^TestPlugHelperServer$")
	alice := tn.Node(t, "alice")
	if err := proc.WaitOutput(ctx, "ready: http://app."); err != nil {
		t.Fatal(err)
	}
	out := proc.Output()
	if !strings.Contains(out, "helper: started, PORT="+port+" TS_PLUG_URL=http://app") {
		t.Errorf("the command's environment lacks PORT or TS_PLUG_URL:\n%s", out)
	}
	if l, r := strings.Index(out, "helper: listening"), strings.Index(out, "ready: "); l < 0 || r < l {
		t.Errorf("ts-plug reported ready before the command listened:\n%s", out)
	}
	res, b := tailnetGet(ctx, t, alice, "http://app/", nil)
	var got echoed
	json.Unmarshal(b, &got)
	if res.StatusCode != 200 || got.Headers.Get("Tailscale-User-Login") != loginOf(ctx, t, alice) {
		t.Fatalf("%s %s", res.Status, b)
	}

	// SIGTERM goes on to the command; its exit status is ts-plug's.
	proc.Signal(syscall.SIGTERM)
	code, err := proc.Wait(ctx)
	if err != nil || code != 3 {
		t.Errorf("after SIGTERM: exit %d %v, want the command's 3", code, err)
	}
	if !strings.Contains(proc.Output(), "helper: got SIGTERM") {
		t.Errorf("the command never got SIGTERM:\n%s", proc.Output())
	}
}

func TestPlugCommandStopAndCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	// The shell says "ignoring-2" once its trap is set; ts-plug's own log
	// line quotes the command ("echo ignoring-$((1+1))"), so waiting for a
	// word of the command would race the trap.
	ignore, _ := startPlug(t, tn, nil, "ignorer", "-stop-grace", "1s",
		"--", "sh", "-c", `trap '' TERM; echo ignoring-$((1+1)); while :; do sleep 0.1; done`)
	crash, _ := startPlug(t, tn, nil, "crasher", "--", "sh", "-c", `echo started; sleep 1; kill -SEGV $$`)
	exit7, _ := startPlug(t, tn, nil, "quitter", "--", "sh", "-c", `echo started; sleep 1; exit 7`)

	if err := ignore.WaitOutput(ctx, "ignoring-2"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ignore.Signal(syscall.SIGTERM)
	if code, err := ignore.Wait(ctx); err != nil || code != 137 {
		t.Errorf("command ignoring SIGTERM: exit %d %v, want 137 (killed)", code, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("killed after %v, before the 1s -stop-grace", d)
	}
	if !strings.Contains(ignore.Output(), "killing it (SIGKILL)") {
		t.Errorf("no word of the SIGKILL:\n%s", ignore.Output())
	}

	if code, err := crash.Wait(ctx); err != nil || code != 128+int(syscall.SIGSEGV) {
		t.Errorf("crashing command: exit %d %v, want %d", code, err, 128+int(syscall.SIGSEGV))
	}
	if !strings.Contains(crash.Output(), "killed by signal") {
		t.Errorf("crash not reported:\n%s", crash.Output())
	}
	if code, err := exit7.Wait(ctx); err != nil || code != 7 {
		t.Errorf("command exiting 7: ts-plug exit %d %v", code, err)
	}
}

func TestPlugHTTPSAndFunnel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	// Devices get HTTPS but not Funnel, as in a tailnet whose policy
	// grants no "funnel" node attribute. (Set before any device joins.)
	tn.Control.DefaultNodeCapabilities = &tailcfg.NodeCapMap{tailcfg.CapabilityHTTPS: nil}
	up := startHeaderEcho(t)
	secure, _ := startPlug(t, tn, nil, "secure", "-https", "-upstream", up.url)
	funnel, _ := startPlug(t, tn, nil, "public", "-funnel", "-upstream", up.url)
	alice := tn.Node(t, "alice")

	// Port 80 sends callers to the certificate's name. (The TLS side
	// needs a real certificate authority, which an offline tailnet has not.)
	res, _ := tailnetGet(ctx, t, alice, "http://secure/v1/models?x=1", nil)
	want := "https://secure." + tn.Domain + "/v1/models?x=1"
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Errorf("http://secure: %s Location %q, want 308 to %s", res.Status, res.Header.Get("Location"), want)
	}

	// Funnel is not allowed for this device: a clear failure, exit 1.
	if code, err := funnel.Wait(ctx); err != nil || code != 1 {
		t.Errorf("-funnel without the funnel attribute: exit %d %v, want 1", code, err)
	}
	if !strings.Contains(funnel.Output(), `-funnel: Funnel not available; "funnel" node attribute not set`) {
		t.Errorf("-funnel failure not explained:\n%s", funnel.Output())
	}

	// A tailnet without HTTPS certificates: -https fails clearly.
	plain := tailnettest.New(t, tailnettest.Options{MagicDNSDomain: "-"})
	nocert, _ := startPlug(t, plain, nil, "nocert", "-https", "-upstream", up.url)
	if code, err := nocert.Wait(ctx); err != nil || code != 1 {
		t.Errorf("-https without certificates: exit %d %v, want 1", code, err)
	}
	if !strings.Contains(nocert.Output(), "the tailnet does not offer HTTPS certificates (enable HTTPS in the admin console)") {
		t.Errorf("-https failure not explained:\n%s", nocert.Output())
	}
	secure.Signal(syscall.SIGTERM)
	secure.Wait(ctx)
}

// TestPlugLLMExample is the README's example, end to end: a self-hosted
// OpenAI-compatible server (the fake) plugged into the tailnet as llm,
// configured in aperture as a provider at http://llm, called from a
// machine outside the tailnet through ts-unplug.
func TestPlugLLMExample(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	fake := fakellm.New(fakellm.WithRequiredKey("sk-local-llm"), fakellm.WithModels("llama-3.1-8b"))
	fakeURL, err := fake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })

	// 1. ts-plug -hostname llm -upstream http://127.0.0.1:PORT
	plug, _ := startPlug(t, tn, nil, "llm", "-upstream", fakeURL)

	// 2. aperture, with llm as a provider.
	state := filepath.Join(t.TempDir(), "aperture")
	os.MkdirAll(state, 0o700)
	cfgPath := filepath.Join(state, "config.hujson")
	cfg := `{
  "providers": {
    "llm": {"baseurl": "http://llm", "apikey": "sk-local-llm", "models": ["llama-3.1-8b"],
      "compatibility": {"openai_chat": true}},
  },
  "grants": [
    {"src": ["*"], "app": {"tailscale.com/cap/aperture": [{"role": "user"}, {"models": "**"}]}},
  ],
}`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	testbin.Start(t, tn.ChildEnv(), testbin.Build(t, "aperture"),
		"--state-dir", state, "--config", cfgPath, "--hostname", "ai",
		"--control-url", tn.ControlURL, "--authkey", tn.AuthKey)

	// 3. ts-unplug on a laptop outside the tailnet.
	base, _, _ := startUnplug(t, tn, "laptop", "ai")
	if err := plug.WaitOutput(ctx, "ready: http://llm."); err != nil {
		t.Fatal(err)
	}
	waitHTTP(ctx, t, base+"/api/whoami", 200).Body.Close()

	body := `{"model": "llama-3.1-8b", "messages": [{"role": "user", "content": "respond with: hello from llm"}]}`
	var res *http.Response
	var b string
	// Until aperture's node has learned of the llm device.
	testbin.WaitUntil(t, time.Minute, func() error {
		res, b = post(t, base+"/v1/chat/completions", body)
		if res.StatusCode != 200 {
			return fmt.Errorf("through aperture to llm: %d %s", res.StatusCode, b)
		}
		return nil
	})
	var chat struct {
		Choices []struct{ Message struct{ Content string } }
	}
	json.Unmarshal([]byte(b), &chat)
	if res.StatusCode != 200 || len(chat.Choices) == 0 || chat.Choices[0].Message.Content != "hello from llm" {
		t.Fatalf("chat through ts-unplug -> aperture -> ts-plug: %s %s", res.Status, b)
	}
	got, ok := fake.LastRequest()
	if !ok {
		t.Fatal("the plugged server received nothing")
	}
	if v := got.Header.Get("Authorization"); v != "Bearer sk-local-llm" {
		t.Errorf("plugged server saw Authorization %q, want the provider key aperture holds", v)
	}
	if v := got.Header.Get("Tailscale-Node-Name"); !strings.HasPrefix(v, "ai.") {
		t.Errorf("plugged server saw Tailscale-Node-Name %q, want the gateway's device ai.*", v)
	}
}

func TestPlugUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing -hostname"},
		{[]string{"-hostname", "llm", "-upstream", "ftp://x"}, "-upstream"},
		{[]string{"-hostname", "llm", "-http", "8000"}, "-http"},
		{[]string{"-hostname", "llm", "-tcp", "70000=22"}, "bad port"},
		{[]string{"-hostname", "llm", "-nosuchflag"}, "nosuchflag"},
	}
	for _, tt := range tests {
		out, code := runBin(t, nil, "ts-plug", tt.args...)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("ts-plug %q: exit %d, want 2 and %q:\n%s", tt.args, code, tt.want, out)
		}
	}
	// A command that does not exist: the shell's 127.
	dir := t.TempDir()
	out, code := runBin(t, nil, "ts-plug", "-hostname", "x", "-dir", dir, "-control-url", "http://127.0.0.1:1",
		"--", "no-such-command-for-ts-plug")
	if code != 127 || !strings.Contains(out, "cannot start no-such-command-for-ts-plug") {
		t.Errorf("missing command: exit %d\n%s", code, out)
	}
}

// TestPlugHeaderSpellings sends spoofed identity headers in the spellings
// CGI-style servers fold into the real ones, over a raw tailnet socket
// (exact bytes, no http.Header canonicalization), through the real
// ts-plug: the server sees alice's identity and nothing else.
func TestPlugHeaderSpellings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := tailnettest.New(t, tailnettest.Options{})
	up := startHeaderEcho(t)
	proc, _ := startPlug(t, tn, nil, "web", "-upstream", up.url)
	alice := tn.Node(t, "alice")
	if err := proc.WaitOutput(ctx, "ready: http://web."); err != nil {
		t.Fatal(err)
	}
	const spoof = "Tailscale_User_Login: evil\r\n" +
		"tailscale-user-login: evil\r\ntailscale-user-login: evil\r\n" +
		"TAILSCALE_USER_LOGIN: evil\r\n" +
		"Tailscale.User.Login: evil\r\n" +
		"X-Tailscale-User-Login: evil\r\n" +
		"Tailscale_Funnel_Request: ?1\r\n" +
		"Connection: keep-alive, Tailscale-User-Login\r\n"
	var got echoed
	testbin.WaitUntil(t, time.Minute, func() error {
		res, err := rawTailnetGet(ctx, alice, "web:80", "GET /whoami HTTP/1.1\r\nHost: web\r\n"+spoof+"\r\n")
		if err != nil {
			return fmt.Errorf("raw GET: %w", err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("raw GET: status %d", res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	want := loginOf(ctx, t, alice)
	for k, vs := range got.Headers {
		cgi := "HTTP_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(k))
		switch {
		case cgi == "HTTP_TAILSCALE_USER_LOGIN" && (len(vs) != 1 || vs[0] != want):
			t.Errorf("server reads %s as %s = %q, want only %q", k, cgi, vs, want)
		case strings.Contains(cgi, "TAILSCALE") && cgi != "HTTP_TAILSCALE_USER_LOGIN" &&
			cgi != "HTTP_TAILSCALE_USER_NAME" && cgi != "HTTP_TAILSCALE_USER_PROFILE_PIC" && cgi != "HTTP_TAILSCALE_NODE_NAME":
			t.Errorf("spoofed %s = %q reached the server", k, vs)
		}
	}
	if got.Headers.Get("Tailscale-User-Login") != want {
		t.Errorf("Tailscale-User-Login = %q, want %q (alice's)", got.Headers.Get("Tailscale-User-Login"), want)
	}
}

// rawTailnetGet writes req byte for byte to addr over the tailnet from s.
func rawTailnetGet(ctx context.Context, s *tsnet.Server, addr, req string) (*http.Response, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := s.Dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	res.Body = struct {
		io.Reader
		io.Closer
	}{res.Body, c}
	return res, nil
}
